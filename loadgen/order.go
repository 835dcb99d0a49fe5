package loadgen

import "math/rand/v2"

// targetOrder says which target the i-th request of a window goes to.
// Requests come in blocks of one request per target, so the targets
// alternate request by request; within each block the order is a fresh
// random permutation. A fixed order (always A then B, 1/rate apart) lets
// any periodic disturbance of the machine — a timer tick, another process's
// wake-ups — fall on one target more than the other for a whole window, a
// bias no confidence interval accounts for; a random order turns it into
// noise the interval does count. The permutation of block b depends only on
// (seed, b), so a window's order is reproducible and needs no memory.
type targetOrder struct {
	targets int
	seed    uint64
}

func (o targetOrder) target(i uint64) int {
	n := uint64(o.targets)
	if n == 1 {
		return 0
	}
	block, pos := i/n, int(i%n)
	rng := rand.New(rand.NewPCG(o.seed, block))
	// Fisher–Yates, stopped once position pos is settled.
	var small [16]int
	perm := small[:0]
	if o.targets > len(small) {
		perm = make([]int, 0, o.targets)
	}
	for k := range o.targets {
		perm = append(perm, k)
	}
	for k := 0; k <= pos; k++ {
		j := k + rng.IntN(o.targets-k)
		perm[k], perm[j] = perm[j], perm[k]
	}
	return perm[pos]
}
