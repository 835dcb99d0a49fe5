package loadgen

// window is one attack: every target alternates at one size for
// perTarget requests each.
type window struct {
	round     int // 1-based
	size      int // index into Config.Sizes
	perTarget int
}

// schedule lays the run out in rounds. Each round gives every (target,
// size) cell its share of the requests (the first rounds take the
// remainder) and visits the sizes in an order rotated by one from the
// previous round, so slow drift of the machine does not fall on one size.
func schedule(sizes, requests, rounds int) []window {
	var out []window
	for r := 0; r < rounds; r++ {
		n := requests / rounds
		if r < requests%rounds {
			n++
		}
		for k := 0; k < sizes; k++ {
			out = append(out, window{round: r + 1, size: (k + r) % sizes, perTarget: n})
		}
	}
	return out
}
