package policies

import (
	"testing"
)

func TestDecoyPortsNeverHitTheServerPort(t *testing.T) {
	for _, server := range []int{8080, 10000, 10001, 10500, 65535} {
		seen := map[int]bool{}
		for i := 1; i <= maxPortDecoys; i++ {
			p := decoyPort(i, server)
			if p == server || p < 1 || p > 65535 || seen[p] {
				t.Fatalf("server port %d: decoy %d gets port %d (server port, out of range or taken)", server, i, p)
			}
			seen[p] = true
		}
	}
}

func TestDecoyAddressesStayInTheBenchmarkRange(t *testing.T) {
	seen := map[string]bool{}
	for _, i := range []int{1, 2, 255, 256, 65536, maxAddrDecoys} {
		p := decoyAddr(i)
		if !decoyRange.Contains(p.Addr()) || p.Bits() != 32 || seen[p.String()] {
			t.Errorf("decoy %d: %s outside %s or repeated", i, p, decoyRange)
		}
		seen[p.String()] = true
	}
	if decoyAddr(1).String() != "198.18.0.1/32" || decoyAddr(256).String() != "198.18.1.0/32" {
		t.Errorf("decoy 1, 256 = %s, %s; want 198.18.0.1/32, 198.18.1.0/32", decoyAddr(1), decoyAddr(256))
	}
}

func TestParseClientCIDR(t *testing.T) {
	good := map[string]string{
		"10.244.1.7":    "10.244.1.7/32",
		"10.244.1.7/32": "10.244.1.7/32",
		"10.244.0.0/16": "10.244.0.0/16",
		"fd00::5":       "fd00::5/128",
	}
	for in, want := range good {
		if p, err := ParseClientCIDR(in); err != nil || p.String() != want {
			t.Errorf("ParseClientCIDR(%q) = %v, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "10.244.1.300", "10.244.1.7/8", "198.18.5.5", "0.0.0.0/0", "pod"} {
		if _, err := ParseClientCIDR(in); err == nil {
			t.Errorf("ParseClientCIDR(%q) accepted", in)
		}
	}
}

func TestKindsAndShapes(t *testing.T) {
	for _, k := range Kinds() {
		if got, err := ParseKind(" " + string(k)); err != nil || got != k {
			t.Errorf("ParseKind(%q) = %q, %v", k, got, err)
		}
		if s, err := ParseShape(k, ""); err != nil || s != DefaultShape(k) {
			t.Errorf("%s: default shape %q, %v", k, s, err)
		}
		if len(Resources(k)) == 0 {
			t.Errorf("%s: no resources to clean up", k)
		}
	}
	if _, err := ParseKind("calico"); err == nil {
		t.Error("ParseKind(calico) accepted")
	}
	if _, err := ParseShape(Linkerd, "l7"); err == nil {
		t.Error("ParseShape(linkerd, l7) accepted")
	}
	if s, _ := ParseShape(NetworkPolicy, ""); s != ShapePeers {
		t.Errorf("NetworkPolicy's default shape is %q; want peers (Romana's decoys match none of the traffic)", s)
	}
}

func TestBuilderRejectsDecoysOutOfRange(t *testing.T) {
	b, err := NewBuilder(NetworkPolicy, "", Target{Namespace: "ns", RunID: "r"})
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range []int{0, -1, b.MaxDecoys() + 1} {
		if _, err := b.Decoy(i); err == nil {
			t.Errorf("Decoy(%d) accepted", i)
		}
	}
	if _, err := NewBuilder(NetworkPolicy, ShapeIPBlock, Target{Namespace: "ns", RunID: "r", ClientCIDR: "10.0.0.1/40"}); err == nil {
		t.Error("ipblock with a bad client CIDR accepted")
	}
}
