package analysis

import (
	"context"
	"math/rand/v2"
	"testing"
)

func randomSamples(n int, seed uint64) []int64 {
	rng := rand.New(rand.NewPCG(seed, 7))
	s := make([]int64, n)
	for i := range s {
		s[i] = 500_000 + rng.Int64N(100_000)
	}
	return s
}

// A cancelled context stops the bootstrap: the comparison comes back
// without an interval instead of after every resample.
func TestCancelledBootstrapStops(t *testing.T) {
	base, other := randomSamples(50_000, 1), randomSamples(50_000, 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// At MaxResamples this is 10^10 draws: minutes, were it not stopped.
	for _, stat := range []Statistic{Mean, Median} {
		d := Compare(stat, base, other, WithResamples(MaxResamples), WithContext(ctx))
		if d.Valid() || d.CILow != 0 || d.CIHigh != 0 {
			t.Errorf("%s: a cancelled comparison is valid: %+v", stat, d)
		}
	}
	if d := CompareMean(base[:100], other[:100], WithContext(context.Background())); !d.Valid() {
		t.Errorf("a live context stopped the comparison: %+v", d)
	}
}

// Resamples are capped, so a typo cannot ask for gigabytes of replicates.
func TestResamplesAreCapped(t *testing.T) {
	d := CompareMedian(randomSamples(100, 1), randomSamples(100, 2), WithResamples(100_000_000))
	if d.Resamples != MaxResamples {
		t.Errorf("resamples %d, want the cap %d", d.Resamples, MaxResamples)
	}
}
