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
	c := a.Counts().Tables["filter"]
	if got := c.Chains["INPUT"].Rules[0].Packets; got != 30 {
		t.Errorf("INPUT's jump: %d packets in the window, want 30", got)
	}
	if got := c.Chains["POD"].Rules[0].Packets; got != 8 {
		t.Errorf("a rule that grew past its old count across a restart: %d packets, want 8", got)
	}
	a.Add(save(50, 9)) // no restart: differences
	c = a.Counts().Tables["filter"]
	if got := c.Chains["INPUT"].Rules[0].Packets; got != 50 {
		t.Errorf("after a plain read: %d packets, want 50", got)
	}
}
