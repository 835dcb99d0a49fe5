package datapath

// Walk is the work a window's packets made one table's chains do, worked
// out from the rule counters before and after the window.
//
// iptables counts the packets each rule matched, not the rules a packet
// was checked against; the walk recovers the latter from the order of the
// rules. Packets enter a user chain through the rules that jump to it (their
// counters), a built-in chain by the hook (the packets it absorbed plus those
// that reached its policy); each rule is checked by every packet still in
// the chain, and a packet leaves the chain at a terminating target (ACCEPT,
// DROP, RETURN, ...) or, at a jump, with the share of the jumped-to chain's
// packets that ended there. Where several rules jump to one chain, its
// packets' fate is shared out in proportion; past such a jump the walk
// counts the packets still in the chain from the rules below that matched
// them (every packet a later rule matched passed the rules before it),
// which is exact for chains that end in a rule every packet matches, as
// kube-router's do.
type Walk struct {
	// Chains are the figures of every chain that saw packets.
	Chains map[string]ChainWork
	// Changed counts the rules whose counters could not be read as a
	// difference (added, removed or rewritten during the window): an engine
	// that rewrote its chains mid-window makes the figures approximate.
	Changed int
}

// ChainWork is one chain's share of a window.
type ChainWork struct {
	Entered     float64
	Evaluations float64
}

// terminal targets end a packet's traversal of the table.
var terminal = map[string]bool{
	"ACCEPT": true, "DROP": true, "REJECT": true, "QUEUE": true, "NFQUEUE": true,
	"DNAT": true, "SNAT": true, "MASQUERADE": true, "REDIRECT": true, "NETMAP": true,
}

// Between walks table in the window from before to after.
func Between(before, after *Ruleset, table string) Walk {
	var a Accumulator
	a.Add(before)
	a.Add(after)
	w := WalkEpochs(a.Epochs(), table)
	w.Changed = a.Changed
	return w
}

// WalkEpochs walks table in every epoch of a window (Accumulator.Epochs)
// and adds the chains' figures up by name.
func WalkEpochs(epochs []*Ruleset, table string) Walk {
	w := Walk{Chains: map[string]ChainWork{}}
	for _, e := range epochs {
		for name, c := range WalkCounts(e, table).Chains {
			sum := w.Chains[name]
			sum.Entered += c.Entered
			sum.Evaluations += c.Evaluations
			w.Chains[name] = sum
		}
	}
	return w
}

// WalkCounts walks table of a ruleset whose counters are a window's
// packets (Accumulator.Counts).
func WalkCounts(counts *Ruleset, table string) Walk {
	w := Walk{Chains: map[string]ChainWork{}}
	if counts == nil || counts.Tables[table] == nil {
		return w
	}
	t := counts.Tables[table]
	delta := map[string][]float64{}
	policy := map[string]float64{}
	for name, c := range t.Chains {
		d := make([]float64, len(c.Rules))
		for i, r := range c.Rules {
			d[i] = float64(r.Packets)
		}
		delta[name] = d
		policy[name] = float64(c.PolicyPackets)
	}
	entered := map[string]float64{}
	callers := map[string]int{} // rules that jump to a chain
	for name, c := range t.Chains {
		for i, r := range c.Rules {
			if _, ok := t.Chains[r.Target]; ok {
				entered[r.Target] += delta[name][i]
				callers[r.Target]++
			}
		}
	}
	// absorbed is the share of a chain's packets that ended in it or below.
	absorbed := map[string]float64{}
	visiting := map[string]bool{}
	var share func(name string, depth int) float64
	share = func(name string, depth int) float64 {
		if f, ok := absorbed[name]; ok {
			return f
		}
		if visiting[name] {
			return 0 // iptables refuses loops; this guards a malformed dump
		}
		visiting[name] = true
		c := t.Chains[name]
		end := 0.0
		for i, r := range c.Rules {
			end += delta[name][i] * fate(t, r, func(j string) float64 { return share(j, depth+1) })
		}
		in := entered[name]
		if c.Builtin {
			in = end + policy[name]
		}
		f := 0.0
		if in > 0 {
			f = min(end/in, 1)
		}
		absorbed[name] = f
		return f
	}
	for name, c := range t.Chains {
		in := entered[name]
		if c.Builtin {
			share(name, 0)
			in = policy[name]
			for i, r := range c.Rules {
				in += delta[name][i] * fate(t, r, func(j string) float64 { return share(j, 0) })
			}
		}
		if in <= 0 {
			continue
		}
		// reach[i] is the most packets any rule from i on matched: every one
		// of them passed rule i, so at least that many reached it.
		reach := make([]float64, len(c.Rules)+1)
		for i := len(c.Rules) - 1; i >= 0; i-- {
			reach[i] = max(reach[i+1], delta[name][i])
		}
		left, evals, shared := in, 0.0, false
		for i, r := range c.Rules {
			if shared {
				// Past a jump to a chain other chains jump to as well, the
				// share that ended there is that chain's average, not this
				// caller's (established packets of some pods, new ones of
				// others): the packets later rules matched are the better
				// count of those still here.
				left = reach[i]
			}
			if left <= 0 {
				break
			}
			evals += left
			left = max(left-delta[name][i]*leaves(t, r, func(j string) float64 { return share(j, 0) }), reach[i+1])
			shared = shared || callers[r.Target] > 1 && fate(t, r, func(j string) float64 { return share(j, 0) }) > 0
		}
		w.Chains[name] = ChainWork{Entered: in, Evaluations: evals}
	}
	return w
}

// fate is the share of a rule's matched packets whose traversal ends at it
// (or in the chain it jumps to).
func fate(t *Table, r Rule, absorbed func(string) float64) float64 {
	switch {
	case terminal[r.Target]:
		return 1
	case r.Target == "RETURN":
		return 0
	}
	if _, ok := t.Chains[r.Target]; ok {
		return absorbed(r.Target)
	}
	return 0 // MARK, LOG, CT, ...: the packet goes on
}

// leaves is the share of a rule's matched packets that leave its chain
// there: those that end, those that return (RETURN), and for a goto all.
func leaves(t *Table, r Rule, absorbed func(string) float64) float64 {
	if r.Target == "RETURN" || r.Goto {
		return 1
	}
	return fate(t, r, absorbed)
}

// Sum is the figures of the chains keep accepts, added up.
func (w Walk) Sum(keep func(chain string) bool) ChainWork {
	var s ChainWork
	for name, c := range w.Chains {
		if keep(name) {
			s.Entered += c.Entered
			s.Evaluations += c.Evaluations
		}
	}
	return s
}
