package analysis

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestCompareMedianFindsKnownShift(t *testing.T) {
	const shift = 20 * time.Microsecond
	base := latencies(1, 2000, 700e3, 0)
	other := latencies(2, 2000, 700e3, float64(shift))
	d := CompareMedian(base, other)
	if !d.Significant || d.CILow <= 0 {
		t.Fatalf("a %v shift was not found: %+v", shift, d)
	}
	if d.CILow > shift || d.CIHigh < shift {
		t.Errorf("CI [%v, %v] does not contain the true shift %v", d.CILow, d.CIHigh, shift)
	}
	if d.Base != Summarize(base).P50 || d.Other != Summarize(other).P50 || d.Diff != d.Other-d.Base {
		t.Errorf("point values disagree with Summarize: %+v", d)
	}
	if d.PercentCILow <= 0 || d.Percent < d.PercentCILow || d.Percent > d.PercentCIHigh {
		t.Errorf("percent %.2f not inside its CI [%.2f, %.2f]", d.Percent, d.PercentCILow, d.PercentCIHigh)
	}
	if d.Statistic != Median || d.Resamples != DefaultResamples || d.Confidence != DefaultConfidence {
		t.Errorf("metadata: %+v", d)
	}
}

// The same 20 µs is invisible in the mean: rare outliers make its CI far wider
// than the shift, as measured on loopback.
func TestCompareMeanIsWideUnderOutliers(t *testing.T) {
	base := latencies(1, 2000, 700e3, 0)
	other := latencies(2, 2000, 700e3, 20e3)
	m := CompareMean(base, other)
	md := CompareMedian(base, other)
	if m.HalfWidth() < 5*md.HalfWidth() {
		t.Errorf("mean CI ±%v is not much wider than median CI ±%v", m.HalfWidth(), md.HalfWidth())
	}
	if m.Base != Summarize(base).Mean {
		t.Errorf("mean %v, Summarize says %v", m.Base, Summarize(base).Mean)
	}
	// A large shift is found by the mean too.
	big := CompareMean(base, latencies(2, 2000, 700e3, 400e3))
	if !big.Significant || big.CILow > 400*time.Microsecond || big.CIHigh < 400*time.Microsecond {
		t.Errorf("mean missed a 400 µs shift: %+v", big)
	}
}

// With no shift the 95% interval must include 0 about 95% of the time; a
// broken interval (too narrow, or biased) fails this.
func TestCompareZeroShiftCoverage(t *testing.T) {
	const trials = 40
	for _, c := range []struct {
		name string
		cmp  func(a, b []int64, o ...Option) Difference
		n    int
	}{{"median", CompareMedian, 2000}, {"mean", CompareMean, 500}} {
		covered := 0
		for i := range uint64(trials) {
			d := c.cmp(latencies(100+2*i, c.n, 700e3, 0), latencies(101+2*i, c.n, 700e3, 0), WithSeed(i), WithResamples(1000))
			if !d.Significant {
				covered++
			}
		}
		if covered < trials-5 {
			t.Errorf("%s: A/A interval included 0 in %d of %d trials, want about 95%%", c.name, covered, trials)
		}
	}
}

func TestCompareIsDeterministicPerSeed(t *testing.T) {
	a, b := latencies(1, 500, 700e3, 0), latencies(2, 500, 700e3, 5e3)
	if CompareMean(a, b, WithSeed(9)) != CompareMean(a, b, WithSeed(9)) {
		t.Fatal("same seed, different interval")
	}
	if CompareMean(a, b, WithSeed(9)) == CompareMean(a, b, WithSeed(10)) {
		t.Fatal("different seeds, identical interval")
	}
	if CompareMedian(a, b) != CompareMedian(a, b) {
		t.Fatal("default seed is not deterministic")
	}
}

func TestCompareEmptyAndConfidence(t *testing.T) {
	d := CompareMedian(nil, []int64{1, 2, 3})
	if d.Valid() || d.Significant || d.OtherN != 3 {
		t.Fatalf("empty base: %+v", d)
	}
	a, b := latencies(1, 2000, 700e3, 0), latencies(2, 2000, 700e3, 3e3)
	d90 := CompareMedian(a, b, WithConfidence(0.90))
	d99 := CompareMedian(a, b, WithConfidence(0.99))
	if d99.CIHigh-d99.CILow <= d90.CIHigh-d90.CILow {
		t.Errorf("99%% interval %v not wider than 90%% interval %v", d99.CIHigh-d99.CILow, d90.CIHigh-d90.CILow)
	}
	p := ComparePercentile(a, b, 99)
	if p.Statistic != "p99" || p.Base != Summarize(a).P99 {
		t.Errorf("p99: %+v", p)
	}
}

// The order-statistic shortcut must give the same distribution as resampling
// n indices and taking the k-th smallest. Compared by a two-sample
// Kolmogorov-Smirnov distance over 20,000 draws of each.
func TestQuantileShortcutMatchesResampling(t *testing.T) {
	const n, draws = 101, 20000
	sorted := make([]int64, n)
	for i := range sorted {
		sorted[i] = int64(i)
	}
	for _, q := range []int64{500_000, 900_000} {
		e := newQuantileEstimator(sorted, q)
		src := rand.NewPCG(1, 2)
		rng := rand.New(rand.NewPCG(3, 4))
		fast := make([]int, n)
		slow := make([]int, n)
		idx := make([]int, n)
		for range draws {
			fast[int(e.resample(src))]++
			for j := range idx {
				idx[j] = rng.IntN(n)
			}
			slices.Sort(idx)
			slow[idx[e.k-1]]++
		}
		var cf, cs, ks float64
		for i := range n {
			cf += float64(fast[i]) / draws
			cs += float64(slow[i]) / draws
			ks = max(ks, abs(cf-cs))
		}
		// The 1% critical value for two samples of 20,000 is 0.016.
		if ks > 0.016 {
			t.Errorf("q=%d: KS distance %.4f between shortcut and resampling", q, ks)
		}
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func BenchmarkCompareMedian(b *testing.B) {
	base, other := latencies(1, 2000, 700e3, 0), latencies(2, 2000, 700e3, 20e3)
	for b.Loop() {
		CompareMedian(base, other)
	}
}

func BenchmarkCompareMean(b *testing.B) {
	base, other := latencies(1, 2000, 700e3, 0), latencies(2, 2000, 700e3, 20e3)
	for b.Loop() {
		CompareMean(base, other)
	}
}

// BenchmarkCompareMedianResampling is the textbook bootstrap (resample n
// values, select the median), for comparison with the shortcut above.
func BenchmarkCompareMedianResampling(b *testing.B) {
	base, other := latencies(1, 2000, 700e3, 0), latencies(2, 2000, 700e3, 20e3)
	rng := rand.New(rand.NewPCG(1, 1))
	buf := make([]int64, 2000)
	med := func(s []int64) int64 {
		for i := range buf {
			buf[i] = s[rng.IntN(len(s))]
		}
		slices.Sort(buf)
		return buf[rankIndex(len(buf), 500_000)]
	}
	for b.Loop() {
		diffs := make([]int64, DefaultResamples)
		for i := range diffs {
			diffs[i] = med(other) - med(base)
		}
		slices.Sort(diffs)
	}
}

// The mean's resampling draws every index with equal probability: the sum of
// a resample of 0..n-1 has mean n·(n-1)/2 and variance n·(n²-1)/12.
func TestSumResampleIsUniform(t *testing.T) {
	for _, n := range []int{3, 10, 1000} {
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(i)
		}
		src := rand.NewPCG(5, uint64(n))
		const draws = 100_000
		var m, m2 float64
		for range draws {
			x := float64(sumResample(s, src.Uint64()))
			m += x / draws
			m2 += x * x / draws
		}
		wantMean := float64(n) * float64(n-1) / 2
		wantVar := float64(n) * (float64(n)*float64(n) - 1) / 12
		if v := m2 - m*m; abs(m-wantMean) > 0.01*wantMean || abs(v-wantVar) > 0.03*wantVar {
			t.Errorf("n=%d: resample sums have mean %.2f variance %.2f, want %.2f and %.2f", n, m, v, wantMean, wantVar)
		}
	}
}
