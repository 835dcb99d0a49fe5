package lab

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// subnet.env as flanneld writes it gives the node's subnet and MTU, and the
// conflist delegates to bridge with host-local over that subnet at that MTU.
func TestFlannelSubnetToConflist(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, "subnet.env")
	if err := os.WriteFile(env, []byte("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.1.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := readFlannelSubnet(env)
	if err != nil {
		t.Fatal(err)
	}
	if s.Subnet != netip.MustParsePrefix("10.244.1.1/24") || s.MTU != 1450 || s.Network != netip.MustParsePrefix(ClusterCIDR) {
		t.Fatalf("parsed %+v", s)
	}
	conf := flannelCNIConfig(layout(dir), NodeAt(2), s)
	p := conf["plugins"].([]any)[0].(map[string]any)
	ipam := p["ipam"].(map[string]any)
	if p["type"] != "bridge" || p["mtu"] != 1450 || ipam["type"] != "host-local" {
		t.Errorf("plugin %v", p)
	}
	if got := ipam["ranges"].([][]map[string]string)[0][0]["subnet"]; got != "10.244.1.0/24" {
		t.Errorf("host-local subnet %s, want 10.244.1.0/24", got)
	}
	if err := os.WriteFile(env, []byte("FLANNEL_NETWORK=10.244.0.0/16\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readFlannelSubnet(env); err == nil {
		t.Error("a subnet.env without FLANNEL_SUBNET was accepted")
	}
}
