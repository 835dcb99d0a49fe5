package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// identity is a client certificate's subject: the user (CN) and groups (O)
// kube-apiserver sees.
type identity struct {
	file   string // base name of .crt/.key and of its kubeconfig
	user   string
	groups []string
}

// The lab's identities. The scheduler, controller-manager and kube-proxy use
// the users Kubernetes' bootstrap RBAC roles are bound to; the admin,
// kube-router, cilium-agent and the node agent (which also acts for its pods)
// are cluster admins, as on a kubeadm cluster's control-plane node.
var (
	adminID     = identity{"admin", "meshbench:admin", []string{"system:masters"}}
	schedulerID = identity{"kube-scheduler", "system:kube-scheduler", nil}
	managerID   = identity{"kube-controller-manager", "system:kube-controller-manager", nil}
	proxyID     = identity{"kube-proxy", "system:kube-proxy", nil}
	routerID    = identity{"kube-router", "meshbench:kube-router", []string{"system:masters"}}
	nodeID      = identity{"node", "system:node:lab-nodes", []string{"system:nodes", "system:masters"}}
	kubeletID   = identity{"apiserver-kubelet-client", "kube-apiserver-kubelet-client", []string{"system:masters"}}
	ciliumID    = identity{"cilium-agent", "meshbench:cilium-agent", []string{"system:masters"}}
)

var clientIdentities = []identity{adminID, schedulerID, managerID, proxyID, routerID, nodeID, kubeletID, ciliumID}

// certValidity is long enough that a lab left up never sees a certificate
// expire; the lab is local and its CA is trusted only by its own kubeconfigs.
const certValidity = 5 * 365 * 24 * time.Hour

// ensurePKI creates the CA, the apiserver's serving certificate, the service
// account key pair and every client certificate, unless the CA exists already
// (then everything signed by it is reused, so kubeconfigs stay valid across
// down and up, and only the client certificates a newer meshbench added
// are issued).
func ensurePKI(l layout) error {
	if _, err := os.Stat(l.pki("ca.crt")); err == nil {
		return issueMissing(l)
	}
	if err := os.MkdirAll(filepath.Dir(l.pki("x")), 0o700); err != nil {
		return err
	}
	caKey, err := newKey()
	if err != nil {
		return err
	}
	caTmpl := template("meshbench-lab-ca", nil)
	caTmpl.IsCA = true
	caTmpl.BasicConstraintsValid = true
	caTmpl.KeyUsage = x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return err
	}

	serving := template("kube-apiserver", nil)
	serving.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	serving.DNSNames = []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	serving.IPAddresses = []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP(ControlPlaneIP), firstServiceIP()}
	if err := issue(l, "apiserver", serving, ca, caKey); err != nil {
		return err
	}
	for _, id := range clientIdentities {
		t := template(id.user, id.groups)
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if err := issue(l, id.file, t, ca, caKey); err != nil {
			return err
		}
	}

	saKey, err := newKey()
	if err != nil {
		return err
	}
	if err := writeKey(l.pki("sa.key"), saKey); err != nil {
		return err
	}
	pub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return err
	}
	if err := writePEM(l.pki("sa.pub"), "PUBLIC KEY", pub); err != nil {
		return err
	}
	// The CA last: its presence means the whole set is complete.
	if err := writeKey(l.pki("ca.key"), caKey); err != nil {
		return err
	}
	return writePEM(l.pki("ca.crt"), "CERTIFICATE", caDER)
}

func newKey() (*ecdsa.PrivateKey, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func template(cn string, orgs []string) *x509.Certificate {
	serial, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	now := time.Now()
	return &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, Organization: orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
}

// issue signs t with the CA and writes <name>.crt and <name>.key.
func issue(l layout, name string, t *x509.Certificate, ca *x509.Certificate, caKey crypto.Signer) error {
	key, err := newKey()
	if err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, t, ca, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("sign %s: %w", name, err)
	}
	if err := writeKey(l.pki(name+".key"), key); err != nil {
		return err
	}
	return writePEM(l.pki(name+".crt"), "CERTIFICATE", der)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, kind string, der []byte) error {
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600)
}

// firstServiceIP is the ClusterIP of the `kubernetes` Service: the first
// address of ServiceCIDR.
func firstServiceIP() net.IP {
	_, n, err := net.ParseCIDR(ServiceCIDR)
	if err != nil {
		panic(err)
	}
	ip := n.IP.To4()
	return net.IPv4(ip[0], ip[1], ip[2], ip[3]+1)
}

// readFile is os.ReadFile with the path in the error.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s is missing", path)
	}
	return b, err
}

// issueMissing issues, with the existing CA, the client certificates the
// state directory lacks: a lab made by an older meshbench has none for the
// components added since.
func issueMissing(l layout) error {
	var missing []identity
	for _, id := range clientIdentities {
		if _, err := os.Stat(l.pki(id.file + ".crt")); errors.Is(err, os.ErrNotExist) {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	caPEM, err := readFile(l.pki("ca.crt"))
	if err != nil {
		return err
	}
	keyPEM, err := readFile(l.pki("ca.key"))
	if err != nil {
		return err
	}
	cb, _ := pem.Decode(caPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return fmt.Errorf("%s: the lab's CA is not PEM; remove the directory to start a new lab", l.pki(""))
	}
	ca, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return fmt.Errorf("%s: %w", l.pki("ca.crt"), err)
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return fmt.Errorf("%s: %w", l.pki("ca.key"), err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return fmt.Errorf("%s: not a signing key", l.pki("ca.key"))
	}
	for _, id := range missing {
		t := template(id.user, id.groups)
		t.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
		if err := issue(l, id.file, t, ca, signer); err != nil {
			return err
		}
	}
	return nil
}
