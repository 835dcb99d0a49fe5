package datapath

import "fmt"

// Accumulator adds up a window's packets from rule counters read several
// times during it. An engine that rewrites its rules mid-window (kube-router
// restores the whole filter table on every pod or policy change, which
// restarts every counter, and names its pod and policy chains anew on every
// sync) would otherwise make a before/after difference meaningless: between
// two reads a counter that went down restarted, and its new value is what
// it counted since. Rules are matched by table, chain and text (the n-th
// rule with that text), so rules inserted above them do not shift them.
//
// The packets are kept per epoch: the reads between two renamings of the
// chains, each with its own structure. A walk of the window is the sum of
// its epochs' walks; adding counts across a renaming would file the
// packets of a pod's old chains under names the last structure no longer
// has.
type Accumulator struct {
	last *Ruleset
	// epochs are the window's packets per structure, the last one growing.
	epochs []*Ruleset
	sums   map[ruleKey]uint64
	policy map[string]uint64
	// Changed counts rules whose counter restarted or that appeared after
	// the first read: packets they matched between two reads before the
	// rewrite are not counted.
	Changed int
}

type ruleKey struct {
	table, chain, spec string
	nth                int
}

// Add takes one read of the counters; the first only sets the start.
func (a *Accumulator) Add(rs *Ruleset) {
	if rs == nil {
		return
	}
	if a.last != nil {
		if !sameChains(a.last, rs) {
			a.closeEpoch()
		}
		if a.sums == nil {
			a.sums, a.policy = map[ruleKey]uint64{}, map[string]uint64{}
		}
		prev := index(a.last)
		prevPolicy := policies(a.last)
		restarted := restartedTables(prev, index(rs))
		for k, n := range index(rs) {
			old, ok := prev[k]
			switch {
			case ok && n >= old && !restarted[k.table]:
				a.sums[k] += n - old
			default:
				a.sums[k] += n
				a.Changed++
			}
		}
		for k, n := range policies(rs) {
			if old, ok := prevPolicy[k]; ok && n >= old {
				a.policy[k] += n - old
			} else {
				a.policy[k] += n
			}
		}
	}
	a.last = rs
}

// closeEpoch files the packets counted since the last renaming under the
// structure they were counted in.
func (a *Accumulator) closeEpoch() {
	if a.sums != nil {
		a.epochs = append(a.epochs, countsOn(a.last, a.sums, a.policy))
	}
	a.sums, a.policy = nil, nil
}

// Epochs are the window's packets, one ruleset per structure the chains
// had (counters: the packets each rule matched in the window while it had
// that structure).
func (a *Accumulator) Epochs() []*Ruleset {
	out := append([]*Ruleset(nil), a.epochs...)
	if a.sums != nil {
		out = append(out, countsOn(a.last, a.sums, a.policy))
	}
	return out
}

// countsOn is structure rs with sums and policy as its counters.
func countsOn(rs *Ruleset, sums map[ruleKey]uint64, policy map[string]uint64) *Ruleset {
	out := &Ruleset{Tables: map[string]*Table{}}
	for tn, t := range rs.Tables {
		nt := &Table{Name: tn, Chains: map[string]*Chain{}, Order: t.Order}
		for cn, c := range t.Chains {
			nc := &Chain{Name: cn, Builtin: c.Builtin, PolicyPackets: policy[tn+"/"+cn]}
			seen := map[string]int{}
			for _, r := range c.Rules {
				k := ruleKey{tn, cn, r.Spec, seen[r.Spec]}
				seen[r.Spec]++
				r.Packets = sums[k]
				nc.Rules = append(nc.Rules, r)
			}
			nt.Chains[cn] = nc
		}
		out.Tables[tn] = nt
	}
	return out
}

// sameChains reports whether a and b have the same chains in every table.
func sameChains(a, b *Ruleset) bool {
	if len(a.Tables) != len(b.Tables) {
		return false
	}
	for tn, t := range a.Tables {
		u := b.Tables[tn]
		if u == nil || len(u.Chains) != len(t.Chains) {
			return false
		}
		for cn := range t.Chains {
			if u.Chains[cn] == nil {
				return false
			}
		}
	}
	return true
}

func index(rs *Ruleset) map[ruleKey]uint64 {
	m := map[ruleKey]uint64{}
	for tn, t := range rs.Tables {
		for cn, c := range t.Chains {
			seen := map[string]int{}
			for _, r := range c.Rules {
				m[ruleKey{tn, cn, r.Spec, seen[r.Spec]}] = r.Packets
				seen[r.Spec]++
			}
		}
	}
	return m
}

func policies(rs *Ruleset) map[string]uint64 {
	m := map[string]uint64{}
	for tn, t := range rs.Tables {
		for cn, c := range t.Chains {
			if c.Builtin {
				m[fmt.Sprintf("%s/%s", tn, cn)] = c.PolicyPackets
			}
		}
	}
	return m
}

// restartedTables names the tables whose counters restarted between two
// reads: at least half the rules that had counted something counted less
// since.
// An engine that restores a whole table (kube-router does, on every pod
// event) restarts every counter in it at once; a rule recreated shortly
// before may by the next read have counted more than its small value
// before, so one rule alone cannot tell, but the table's rules together
// can, and then every rule's count is new since the restart.
func restartedTables(prev, next map[ruleKey]uint64) map[string]bool {
	counted, fell := map[string]int{}, map[string]int{}
	for k, old := range prev {
		n, ok := next[k]
		if !ok || old == 0 {
			continue
		}
		counted[k.table]++
		if n < old {
			fell[k.table]++
		}
	}
	out := map[string]bool{}
	for t, c := range counted {
		out[t] = 2*fell[t] >= c
	}
	return out
}
