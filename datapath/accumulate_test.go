package datapath

import "testing"

func save(a, b uint64) *Ruleset {
	rs, err := ParseSave([]byte("*filter\n:INPUT ACCEPT [0:0]\n:POD - [0:0]\n" +
		"[" + u(a) + ":0] -A INPUT -j POD\n[" + u(b) + ":0] -A POD -p tcp --dport 1 -j ACCEPT\nCOMMIT\n"))
	if err != nil {
		panic(err)
	}
	return rs
}

func u(n uint64) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
		if n == 0 {
			return string(b)
		}
	}
}

// A table restored between two reads restarts every counter at once: a
// rule whose counter was small before (recreated by an earlier restore)
// and has already counted more since must still count all of its new
// value, not the difference, because the rest of the table fell.
func TestAccumulatorSeesATableRestart(t *testing.T) {
	var a Accumulator
	a.Add(save(1000, 5))
	a.Add(save(30, 8)) // restored: 1000 → 30 and 5 → 8 are both counts since the restore
	c := onlyEpoch(t, &a).Tables["filter"]
	if got := c.Chains["INPUT"].Rules[0].Packets; got != 30 {
		t.Errorf("INPUT's jump: %d packets in the window, want 30", got)
	}
	if got := c.Chains["POD"].Rules[0].Packets; got != 8 {
		t.Errorf("a rule that grew past its old count across a restart: %d packets, want 8", got)
	}
	a.Add(save(50, 9)) // no restart: differences
	c = onlyEpoch(t, &a).Tables["filter"]
	if got := c.Chains["INPUT"].Rules[0].Packets; got != 50 {
		t.Errorf("after a plain read: %d packets, want 50", got)
	}
}

// onlyEpoch is the window's counts where the chains kept their names.
func onlyEpoch(t *testing.T, a *Accumulator) *Ruleset {
	t.Helper()
	e := a.Epochs()
	if len(e) != 1 {
		t.Fatalf("%d epochs; want 1 (no chain was renamed)", len(e))
	}
	return e[0]
}

// podSave is a kube-router-like table whose pod chain for 10.0.0.5 is
// called name (kube-router names its chains anew on every sync), entered
// jump times, with decoys checked by every entering packet.
func podSave(name string, jump uint64) *Ruleset {
	text := "*filter\n:FORWARD ACCEPT [0:0]\n:KUBE-ROUTER-FORWARD - [0:0]\n:" + name + " - [0:0]\n" +
		"[" + u(jump) + ":0] -A FORWARD -j KUBE-ROUTER-FORWARD\n" +
		"[" + u(jump) + ":0] -A KUBE-ROUTER-FORWARD -d 10.0.0.5/32 -j " + name + "\n" +
		"[0:0] -A " + name + " -p tcp --dport 1 -j ACCEPT\n" +
		"[0:0] -A " + name + " -p tcp --dport 2 -j ACCEPT\n" +
		"[" + u(jump) + ":0] -A " + name + " -j ACCEPT\nCOMMIT\n"
	rs, err := ParseSave([]byte(text))
	if err != nil {
		panic(err)
	}
	return rs
}

// An engine that renames the target pod's chain mid-window (kube-router
// does on every sync) splits the window into epochs, and the policy walk
// adds both: counted on the last structure alone, the packets under the
// old name would be lost.
func TestAccumulatorFollowsRenamedChains(t *testing.T) {
	var a Accumulator
	a.Add(podSave("KUBE-POD-FW-AAAA", 100))
	a.Add(podSave("KUBE-POD-FW-AAAA", 130)) // 30 packets under the first name
	a.Add(podSave("KUBE-POD-FW-BBBB", 20))  // renamed: 20 since the sync
	a.Add(podSave("KUBE-POD-FW-BBBB", 70))  // 50 more
	epochs := a.Epochs()
	if len(epochs) != 2 {
		t.Fatalf("%d epochs, want 2 (one per name of the chain)", len(epochs))
	}
	before := &Snapshot{Rules: podSave("KUBE-POD-FW-AAAA", 100)}
	after := &Snapshot{Rules: podSave("KUBE-POD-FW-BBBB", 70)}
	d := Window("node", before, after, epochs, a.Changed, "10.0.0.5", 100, 100)
	var walk float64
	for _, e := range d.Engines {
		walk += e.SelectedEvaluations
	}
	// 100 packets, each checked against the chain's 3 rules.
	if walk != 300 {
		t.Errorf("policy walk %.0f checks over the window; want 300 (100 packets × 3 rules, 30 under the old name)", walk)
	}
}
