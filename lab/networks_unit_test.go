package lab_test

import (
	"strings"
	"testing"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/meshes"
)

// --network takes the three networks, refuses anything else naming the
// accepted ones, and refuses ipsec with the kernel's reason in one line.
func TestParseNetwork(t *testing.T) {
	for _, n := range lab.Networks {
		got, err := lab.ParseNetwork(string(n))
		if err != nil || got != n {
			t.Errorf("ParseNetwork(%q) = %q, %v", n, got, err)
		}
	}
	if got, err := lab.ParseNetwork(""); err != nil || got != lab.Routed {
		t.Errorf("ParseNetwork(\"\") = %q, %v; want routed", got, err)
	}
	_, err := lab.ParseNetwork("geneve")
	if err == nil || !strings.Contains(err.Error(), "--network") || !strings.Contains(err.Error(), "routed, vxlan, wireguard") {
		t.Errorf("ParseNetwork(geneve) = %v; want the flag and the accepted values", err)
	}
	_, err = lab.ParseNetwork("ipsec")
	if err == nil || !strings.Contains(err.Error(), "--network ipsec") || strings.Contains(err.Error(), "\n") {
		t.Errorf("ParseNetwork(ipsec) = %v; want one line naming the flag", err)
	}
	t.Logf("this kernel: %v", err)
}

func TestNetworkFacts(t *testing.T) {
	if lab.WireGuard.Cipher() != "ChaCha20-Poly1305" || lab.VXLAN.Cipher() != "" || lab.Routed.Cipher() != "" {
		t.Error("only wireguard encrypts, with ChaCha20-Poly1305")
	}
	if lab.Routed.MTU() != lab.MTU || lab.VXLAN.MTU() != lab.MTU-50 || lab.WireGuard.MTU() != lab.MTU-80 {
		t.Errorf("MTUs routed %d vxlan %d wireguard %d", lab.Routed.MTU(), lab.VXLAN.MTU(), lab.WireGuard.MTU())
	}
	if lab.NetworkAnnotation != meshes.LabNetworkAnnotation || lab.NetworkMTUAnnotation != meshes.LabNetworkMTUAnnotation || lab.NetworkCipherAnnotation != meshes.LabNetworkCipherAnnotation {
		t.Error("the lab's network annotations differ from those detect reads")
	}
}
