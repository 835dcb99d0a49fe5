package policies

import (
	"fmt"
	"net/netip"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Labels and values shared by every object meshbench creates.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedBy      = "meshbench"
	LabelRun       = "meshbench.io/run"

	// LabelRole marks pods by their part in a run; the policies select by it.
	LabelRole   = "meshbench.io/role"
	RoleServer  = "server"  // the target the policies select
	RoleControl = "control" // a server no policy selects
	RoleClient  = "client"  // runs the load; the allow policy admits it
	RoleProbe   = "probe"   // labels no policy admits

	// LabelPolicy tells a step's policies apart: the one that admits the
	// client, the decoys, and the mesh- or step-wide objects.
	LabelPolicy  = "meshbench.io/policy"
	PolicyAllow  = "allow"
	PolicyDecoy  = "decoy"
	PolicyBase   = "base" // deny-all, Linkerd Server: present once per step > 0
	PolicyMesh   = "mesh" // mesh-level configuration (PeerAuthentication)
	LabelDecoyOf = "meshbench.io/decoy"
)

// Defaults for Target's optional fields.
const (
	DefaultPort                 = 8080
	DefaultClientServiceAccount = "meshbench-client"
	DefaultTrustDomain          = "cluster.local"
	DefaultWaypoint             = "waypoint"
)

// Target says what the policies protect and whom they admit.
type Target struct {
	Namespace string // where the objects live (the benchmark namespace)
	RunID     string // value of meshbench.io/run
	Port      int    // the server port; 0 means DefaultPort

	// ClientCIDR is the client's address range for the ipblock shape,
	// typically the client pod's IP as a /32; "" admits the client by label.
	ClientCIDR string
	// ClientServiceAccount is the client pod's service account, the source of
	// its mesh identity (Istio principal, Linkerd identity).
	ClientServiceAccount string
	// TrustDomain is the mesh's trust domain (Istio) or identity domain suffix
	// (Linkerd's identity.linkerd.<domain>).
	TrustDomain string
	// Waypoint names the Istio waypoint Gateway that enforces L7 policies.
	Waypoint string
}

// withDefaults fills the optional fields.
func (t Target) withDefaults() Target {
	if t.Port == 0 {
		t.Port = DefaultPort
	}
	if t.ClientServiceAccount == "" {
		t.ClientServiceAccount = DefaultClientServiceAccount
	}
	if t.TrustDomain == "" {
		t.TrustDomain = DefaultTrustDomain
	}
	if t.Waypoint == "" {
		t.Waypoint = DefaultWaypoint
	}
	return t
}

// validate checks the fields every kind needs.
func (t Target) validate() error {
	if errs := validation.IsDNS1123Label(t.Namespace); len(errs) > 0 {
		return fmt.Errorf("namespace %q: %s", t.Namespace, errs[0])
	}
	if errs := validation.IsValidLabelValue(t.RunID); t.RunID == "" || len(errs) > 0 {
		why := "must not be empty"
		if len(errs) > 0 {
			why = errs[0]
		}
		return fmt.Errorf("run id %q: %s", t.RunID, why)
	}
	if t.Port < 1 || t.Port > 65535 {
		return fmt.Errorf("port %d: want 1-65535", t.Port)
	}
	if errs := validation.IsDNS1123Subdomain(t.ClientServiceAccount); len(errs) > 0 {
		return fmt.Errorf("client service account %q: %s", t.ClientServiceAccount, errs[0])
	}
	return nil
}

// decoyRange is RFC 2544's benchmarking block: no pod address lives there,
// so ipBlock decoys built from it never match the client.
var decoyRange = netip.MustParsePrefix("198.18.0.0/15")

// clientPrefix parses ClientCIDR.
func (t Target) clientPrefix() (netip.Prefix, error) { return ParseClientCIDR(t.ClientCIDR) }

// ParseClientCIDR parses the client's address range of the ipblock shape: a
// CIDR, or a bare address taken as /32 (/128). It must not overlap the decoys'
// range.
func ParseClientCIDR(s string) (netip.Prefix, error) {
	if s == "" {
		return netip.Prefix{}, fmt.Errorf("client CIDR empty: want an address or a CIDR, e.g. 10.244.1.7/32 (the client pod's IP)")
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		a, aerr := netip.ParseAddr(s)
		if aerr != nil {
			return netip.Prefix{}, fmt.Errorf("client CIDR %q: want an address or a CIDR, e.g. 10.244.1.7/32", s)
		}
		p = netip.PrefixFrom(a, a.BitLen())
	}
	if p.Masked() != p {
		return netip.Prefix{}, fmt.Errorf("client CIDR %q has host bits set: want %s", s, p.Masked())
	}
	if p.Overlaps(decoyRange) {
		return netip.Prefix{}, fmt.Errorf("client CIDR %q overlaps the decoys' range %s", s, decoyRange)
	}
	return p, nil
}

// labels returns the labels of every object of this target.
func (t Target) labels(policy string) map[string]string {
	return map[string]string{
		LabelManagedBy: ManagedBy,
		LabelRun:       t.RunID,
		LabelPolicy:    policy,
	}
}

// meta returns the object metadata of one policy object.
func (t Target) meta(name, policy string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: t.Namespace, Labels: t.labels(policy)}
}

// serverLabels select the benchmark's target server pods.
func serverLabels() map[string]string { return map[string]string{LabelRole: RoleServer} }

// clientLabels select the client pod.
func clientLabels() map[string]string { return map[string]string{LabelRole: RoleClient} }

// decoyName is the name of decoy i with a kind's prefix, e.g. meshbench-np-0001.
func decoyName(prefix string, i int) string { return fmt.Sprintf("meshbench-%s-%04d", prefix, i) }

// allowName is the name of the allowing policy, e.g. meshbench-np-allow.
func allowName(prefix string) string { return "meshbench-" + prefix + "-allow" }

// decoyPort is decoy i's port: 10000+i, skipping the server port so that no
// decoy ever admits the load.
func decoyPort(i, serverPort int) int {
	p := 10000 + i
	if serverPort > 10000 && p >= serverPort {
		p++
	}
	return p
}

// maxPortDecoys is how many decoys decoyPort can number below 65536.
const maxPortDecoys = 65535 - 10000 - 1

// decoyAddr is decoy i's /32 inside decoyRange (i >= 1).
func decoyAddr(i int) netip.Prefix {
	a := decoyRange.Addr().As4()
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v += uint32(i)
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), 32)
}

// maxAddrDecoys is how many /32s decoyRange holds after its first address.
const maxAddrDecoys = 1<<17 - 1

// maxDecoys bounds shapes that could number decoys without end, so that a
// typo in a count does not render millions of objects.
const maxDecoys = 100000
