package lab

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"testing"
)

// A state directory made before a component was added gets that
// component's client certificate, signed by the CA it already has, and
// keeps every other file as it was.
func TestPKIIssuesTheCertificatesAnOlderLabLacks(t *testing.T) {
	l := layout(t.TempDir())
	if err := ensurePKI(l); err != nil {
		t.Fatal(err)
	}
	admin, _ := os.ReadFile(l.pki(adminID.file + ".crt"))
	last := clientIdentities[len(clientIdentities)-1]
	for _, f := range []string{last.file + ".crt", last.file + ".key"} {
		if err := os.Remove(l.pki(f)); err != nil {
			t.Fatal(err)
		}
	}
	if err := ensurePKI(l); err != nil {
		t.Fatalf("ensurePKI on an older lab's PKI: %v", err)
	}
	b, err := os.ReadFile(l.pki(last.file + ".crt"))
	if err != nil {
		t.Fatalf("%s not issued: %v", last.file, err)
	}
	caPEM, _ := os.ReadFile(l.pki("ca.crt"))
	cb, _ := pem.Decode(caPEM)
	ca, _ := x509.ParseCertificate(cb.Bytes)
	blk, _ := pem.Decode(b)
	cert, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.CheckSignatureFrom(ca); err != nil || cert.Subject.CommonName != last.user {
		t.Errorf("%s: CN %q, signature %v; want %q signed by the lab's CA", last.file, cert.Subject.CommonName, err, last.user)
	}
	if again, _ := os.ReadFile(l.pki(adminID.file + ".crt")); string(again) != string(admin) {
		t.Error("the admin certificate was reissued; existing kubeconfigs would break")
	}
}
