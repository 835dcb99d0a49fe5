package datapath

import (
	"os"
	"testing"
)

// kube-router's filter table on a lab node with three ports-shape policies
// selecting the server pod 10.244.0.2 (iptables-save -c of a real run): the
// server's own chains are its firewall chain and the three policies'
// chains, not the chains every pod's packets share.
func TestPodChainsOfKubeRouter(t *testing.T) {
	b, err := os.ReadFile("testdata/kube-router-3-policies.save")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseSave(b)
	if err != nil {
		t.Fatal(err)
	}
	filter := rs.Tables["filter"]
	got := PodChains(filter, "10.244.0.2", Engines[0].Owns)
	want := []string{"KUBE-POD-FW-KTJC7W6IGAA7F7OA", "KUBE-NWPLCY-H6AR2X2EACJXDCLL", "KUBE-NWPLCY-3IPJDOZCOU46U7QS", "KUBE-NWPLCY-3GA4EF7CJ6UMKLR4"}
	if len(got) != len(want) {
		t.Errorf("pod chains %v, want %v", got, want)
	}
	for _, c := range want {
		if !got[c] {
			t.Errorf("pod chains %v lack %s", got, c)
		}
	}
	if n := rs.RuleCount(Engines[0].Owns); n < 50 {
		t.Errorf("kube-router rules: %d", n)
	}
	// A comment with escaped quotes does not end the rule's text early.
	r := filter.Chains["KUBE-NWPLCY-COMMON"].Rules[1]
	if r.Target != "ACCEPT" || r.Packets != 1416 {
		t.Errorf("second rule of KUBE-NWPLCY-COMMON: %+v", r)
	}
}

// The same node with no policy (step 0): every pod's chain enters
// KUBE-NWPLCY-DEFAULT, the server's "-d 10.244.0.11/32" among them; the
// server's walk is its own chain alone, not the chain every pod's new
// connections pass through (which made step 0's walk twice its size).
func TestPodChainsWithoutPolicies(t *testing.T) {
	b, err := os.ReadFile("testdata/kube-router-0-policies.save")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := ParseSave(b)
	if err != nil {
		t.Fatal(err)
	}
	got := PodChains(rs.Tables["filter"], "10.244.0.11", Engines[0].Owns)
	if len(got) != 1 || !got["KUBE-POD-FW-PLISG3M6425MGNBQ"] {
		t.Errorf("pod chains of the server without policies: %v, want its firewall chain KUBE-POD-FW-PLISG3M6425MGNBQ alone", got)
	}
}

// The seeds are small: the fuzzer minimizes every input that finds new
// coverage, and minimizing one near a real 26 KB dump stalls it at 0
// execs/s for minutes (the real dumps are parsed by the tests above).
func FuzzParseSave(f *testing.F) {
	f.Add([]byte(`*filter
:INPUT ACCEPT [10:600]
:FORWARD DROP [2:120]
:KUBE-POD-FW-A - [0:0]
:KUBE-NWPLCY-B - [0:0]
[40:2400] -A FORWARD -d 10.244.0.2/32 -m comment --comment "to \"pod\" a" -j KUBE-POD-FW-A
[3:180] -A FORWARD -s 10.244.0.2/32 -g KUBE-POD-FW-A
[40:2400] -A KUBE-POD-FW-A -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
[12:720] -A KUBE-POD-FW-A -d 10.244.0.2/32 -j KUBE-NWPLCY-B
[0:0] -A KUBE-POD-FW-A -j REJECT --reject-with icmp-port-unreachable
[5:300] -A KUBE-NWPLCY-B -p tcp -m tcp --dport 8080 -j MARK --set-xmark 0x10000/0x10000
[5:300] -A KUBE-NWPLCY-B -j RETURN
COMMIT
*nat
:PREROUTING ACCEPT [1:60]
COMMIT
`))
	f.Add([]byte("*filter\n:INPUT ACCEPT [1:2]\n[3:4] -A INPUT -m comment --comment \"a \\\" b\" -j DROP\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseSave(data)
		if err != nil {
			return
		}
		for name := range rs.Tables {
			_ = WalkCounts(rs, name)
		}
	})
}
