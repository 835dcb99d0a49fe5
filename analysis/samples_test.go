package analysis

import (
	"math"
	"math/rand/v2"
)

// latencies returns n request durations shaped like keep-alive-off requests
// on loopback: log-normal around median with a 10% spread, and 2% rare
// multi-millisecond outliers that rule the mean (as measured on this
// project's machines, p99 is 3-10x p50).
func latencies(seed uint64, n int, median, shift float64) []int64 {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	out := make([]int64, n)
	for i := range out {
		v := median * math.Exp(0.1*rng.NormFloat64())
		if rng.Float64() < 0.02 {
			v = 2e6 + 8e6*rng.Float64()
		}
		out[i] = int64(v + shift)
	}
	return out
}

// microseconds returns 1, 2, ..., n µs in nanoseconds, shuffled so no code
// can rely on sorted input.
func microseconds(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = int64(i+1) * 1000
	}
	rand.New(rand.NewPCG(7, 7)).Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}
