package node

import (
	"errors"
	"net/netip"
	"testing"
)

func TestIPAMRoundRobinSkipsNetworkAndBroadcast(t *testing.T) {
	a, err := NewIPAM("10.9.0.0/30") // hosts .1 and .2 only
	if err != nil {
		t.Fatal(err)
	}
	x, _ := a.Allocate("x")
	y, _ := a.Allocate("y")
	if x.String() != "10.9.0.1" || y.String() != "10.9.0.2" {
		t.Fatalf("got %v %v, want 10.9.0.1 10.9.0.2", x, y)
	}
	if again, _ := a.Allocate("x"); again != x {
		t.Fatalf("second Allocate for the same pod gave %v, want %v", again, x)
	}
	if _, err := a.Allocate("z"); !errors.Is(err, ErrPoolExhausted) {
		t.Fatalf("third pod in a /30: err %v, want ErrPoolExhausted", err)
	}
	a.Release("x")
	z, err := a.Allocate("z")
	if err != nil || z != x {
		t.Fatalf("after release: %v %v, want %v", z, err, x)
	}
}

func TestIPAMDoesNotReuseAtOnce(t *testing.T) {
	a, _ := NewIPAM("10.9.0.0/24")
	first, _ := a.Allocate("a")
	a.Release("a")
	next, _ := a.Allocate("b")
	if next == first {
		t.Fatalf("freed %v handed out again at once", first)
	}
}

func TestIPAMReserve(t *testing.T) {
	a, _ := NewIPAM("10.9.0.0/24")
	ip := netip.MustParseAddr("10.9.0.7")
	if err := a.Reserve(ip, "a"); err != nil {
		t.Fatal(err)
	}
	if err := a.Reserve(ip, "b"); err == nil {
		t.Fatal("reserving an address twice for two pods: want an error")
	}
	for _, bad := range []string{"10.9.0.0", "10.9.0.255", "10.9.1.1"} {
		if err := a.Reserve(netip.MustParseAddr(bad), "c"); err == nil {
			t.Errorf("Reserve(%s) in 10.9.0.0/24: want an error", bad)
		}
	}
	if got, _ := a.Allocate("a"); got != ip {
		t.Fatalf("Allocate for a reserved pod: %v, want %v", got, ip)
	}
}

func TestNewIPAMRejects(t *testing.T) {
	for _, bad := range []string{"", "10.9.0.1", "10.9.0.0/31", "fd00::/64", "banana"} {
		if _, err := NewIPAM(bad); err == nil {
			t.Errorf("NewIPAM(%q): want an error", bad)
		}
	}
}

func TestNamesStayInsideTheLabPrefix(t *testing.T) {
	uid := "0b9f0a3c-8c1d-4c5e-9f00-1234567890ab"
	ns, veth := NetnsName(uid), VethName(uid)
	if !IsLabNetns(ns) || !IsLabVeth(veth) || len(veth) > 15 {
		t.Fatalf("names %q %q: want lab names, veth at most 15 characters", ns, veth)
	}
	if NetnsName("other") == ns {
		t.Fatal("two UIDs share a netns name")
	}
	for _, foreign := range []string{"eth0", "mblab0", "mblab-", "mbvethx", "cni-1234", "mbv12345678901z"} {
		if IsLabNetns(foreign) || IsLabVeth(foreign) {
			t.Errorf("%q taken for a lab name", foreign)
		}
	}
}
