package analysis

import (
	"math"
	"math/bits"
	"math/rand/v2"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/meshbench/meshbench/results"
)

// Statistic names the statistic a difference is computed on.
type Statistic string

const (
	Median Statistic = "median"
	Mean   Statistic = "mean"
)

// ParseStatistic accepts "median" or "mean".
func ParseStatistic(s string) (Statistic, bool) {
	switch Statistic(s) {
	case Median, Mean:
		return Statistic(s), true
	}
	return "", false
}

// Difference is a statistic of other minus the same statistic of base, with a
// percentile-bootstrap confidence interval.
type Difference struct {
	Statistic Statistic `json:"statistic"`
	// Base and Other are the statistic of each sample set; Diff is Other - Base.
	Base   time.Duration `json:"baseNs"`
	Other  time.Duration `json:"otherNs"`
	Diff   time.Duration `json:"diffNs"`
	CILow  time.Duration `json:"ciLowNs"`
	CIHigh time.Duration `json:"ciHighNs"`
	// Percent is Diff relative to Base (100 · (Other/Base - 1)), with its own
	// bootstrap interval (the ratio is resampled, not derived from CILow/CIHigh).
	Percent       float64 `json:"percent"`
	PercentCILow  float64 `json:"percentCILow"`
	PercentCIHigh float64 `json:"percentCIHigh"`
	// Significant is true when the interval excludes 0.
	Significant bool    `json:"significant"`
	Confidence  float64 `json:"confidence"`
	Resamples   int     `json:"resamples"`
	BaseN       int     `json:"baseN"`
	OtherN      int     `json:"otherN"`
}

// Valid reports whether both sides had samples; a Difference of an empty side
// carries only the counts.
func (d Difference) Valid() bool { return d.BaseN > 0 && d.OtherN > 0 }

// HalfWidth is half the width of the interval, for "±" display.
func (d Difference) HalfWidth() time.Duration { return (d.CIHigh - d.CILow) / 2 }

// CompareMedian compares the medians (nearest-rank P50) of other and base.
//
// The bootstrap does not resample n values and select their median: the
// median of a resample is the value at the k-th smallest of n uniformly drawn
// indices into the sorted samples, and that index is ⌊n·U⌋ where U is the k-th
// order statistic of n uniform variates, distributed Beta(k, n+1-k). Drawing
// it directly gives exactly the same bootstrap distribution in O(1) per
// resample after one sort.
func CompareMedian(base, other []int64, opts ...Option) Difference {
	return compareQuantile(Median, base, other, 500_000, opts)
}

// ComparePercentile compares the nearest-rank p-th percentiles (0 < p ≤ 100)
// of other and base, bootstrapped like CompareMedian. Its Statistic is
// "p<p>", e.g. "p99".
func ComparePercentile(base, other []int64, p float64, opts ...Option) Difference {
	return compareQuantile(Statistic("p"+trimFloat(p)), base, other, ppm(p), opts)
}

// CompareMean compares the means of other and base. Each resample draws n
// values with replacement, so 2,000 resamples cost 2,000·(n_base+n_other)
// random draws.
func CompareMean(base, other []int64, opts ...Option) Difference {
	o := newOptions(opts)
	return compare(Mean, &meanEstimator{samples: base}, &meanEstimator{samples: other}, o)
}

// Compare compares by the named statistic (Median or Mean).
func Compare(stat Statistic, base, other []int64, opts ...Option) Difference {
	if stat == Mean {
		return CompareMean(base, other, opts...)
	}
	return CompareMedian(base, other, opts...)
}

func compareQuantile(stat Statistic, base, other []int64, q int64, opts []Option) Difference {
	o := newOptions(opts)
	return compare(stat, newQuantileEstimator(base, q), newQuantileEstimator(other, q), o)
}

// estimator computes a statistic of a sample set and of a bootstrap resample.
type estimator interface {
	n() int
	point() float64
	resample(src rand.Source) float64
}

func compare(stat Statistic, base, other estimator, o options) Difference {
	return difference(stat, resampled(base, o, 1), resampled(other, o, 2), o)
}

// distribution is a statistic of one sample set and its bootstrap
// replicates. Each set is resampled on its own random stream, so a set
// compared with several others (a baseline cell) is resampled once.
type distribution struct {
	n          int
	point      float64
	replicates []float64
}

// resampled draws o.resamples replicates of e's statistic from the stream
// numbered stream of o's seed.
func resampled(e estimator, o options, stream uint64) distribution {
	d := distribution{n: e.n()}
	if d.n == 0 {
		return d
	}
	if o.cancelled() {
		return d
	}
	d.point = e.point()
	src := rand.NewPCG(o.seed, stream*0x9e3779b97f4a7c15+1)
	d.replicates = make([]float64, o.resamples)
	// A resample of a large set takes long enough (the mean's draws n
	// values) to look at the context every time; small ones every 256.
	every := 256
	if d.n > 4096 {
		every = 1
	}
	for i := range d.replicates {
		if i%every == 0 && o.cancelled() {
			d.replicates = nil
			return d
		}
		d.replicates[i] = e.resample(src)
	}
	return d
}

// difference is other minus base with the percentile interval of the
// replicates' differences.
func difference(stat Statistic, base, other distribution, o options) Difference {
	d := Difference{Statistic: stat, BaseN: base.n, OtherN: other.n, Confidence: o.confidence, Resamples: o.resamples}
	if !d.Valid() {
		return d
	}
	if len(base.replicates) != o.resamples || len(other.replicates) != o.resamples {
		// The bootstrap was stopped (WithContext): no interval.
		return Difference{Statistic: stat, Confidence: o.confidence, Resamples: o.resamples}
	}
	b, x := base.point, other.point
	d.Base, d.Other = roundDuration(b), roundDuration(x)
	d.Diff = roundDuration(x - b)
	d.Percent = percent(b, x)

	diffs := make([]float64, o.resamples)
	pcts := make([]float64, o.resamples)
	for i := range diffs {
		rb, rx := base.replicates[i], other.replicates[i]
		diffs[i] = rx - rb
		pcts[i] = percent(rb, rx)
	}
	lo, hi := intervalRanks(o.resamples, o.confidence)
	slices.Sort(diffs)
	slices.Sort(pcts)
	d.CILow, d.CIHigh = roundDuration(diffs[lo]), roundDuration(diffs[hi])
	d.PercentCILow, d.PercentCIHigh = pcts[lo], pcts[hi]
	d.Significant = d.CILow > 0 || d.CIHigh < 0
	return d
}

// intervalRanks returns the indices of the sorted bootstrap values that bound
// the central confidence interval (nearest rank at (1-c)/2 and (1+c)/2).
func intervalRanks(b int, c float64) (lo, hi int) {
	a := (1 - c) / 2
	lo = int(math.Ceil(a*float64(b)-1e-9)) - 1
	hi = int(math.Ceil((1-a)*float64(b)-1e-9)) - 1
	return max(lo, 0), min(max(hi, 0), b-1)
}

func percent(base, other float64) float64 {
	if base == 0 {
		return 0
	}
	return 100 * (other/base - 1)
}

// quantileEstimator bootstraps a nearest-rank quantile from the sorted samples.
type quantileEstimator struct {
	sorted []int64
	k      int // 1-based rank of the quantile
}

func newQuantileEstimator(samples []int64, q int64) *quantileEstimator {
	s := slices.Clone(samples)
	slices.Sort(s)
	e := &quantileEstimator{sorted: s}
	if len(s) > 0 {
		e.k = rankIndex(len(s), q) + 1
	}
	return e
}

func (e *quantileEstimator) n() int         { return len(e.sorted) }
func (e *quantileEstimator) point() float64 { return float64(e.sorted[e.k-1]) }

func (e *quantileEstimator) resample(src rand.Source) float64 {
	n := len(e.sorted)
	u := distuv.Beta{Alpha: float64(e.k), Beta: float64(n + 1 - e.k), Src: src}.Rand()
	i := min(int(u*float64(n)), n-1)
	return float64(e.sorted[i])
}

// meanEstimator bootstraps the mean by plain resampling with replacement.
type meanEstimator struct{ samples []int64 }

func (e *meanEstimator) n() int { return len(e.samples) }

func (e *meanEstimator) point() float64 {
	m, _ := meanStddev(e.samples)
	return m
}

func (e *meanEstimator) resample(src rand.Source) float64 {
	n := len(e.samples)
	if n > maxIntegerSum {
		rng := rand.New(src)
		var sum float64
		for range n {
			sum += float64(e.samples[rng.IntN(n)])
		}
		return sum / float64(n)
	}
	return float64(sumResample(e.samples, src.Uint64())) / float64(n)
}

// maxIntegerSum is the most samples sumResample adds: their sum fits an
// int64 when each is at most results.MaxSampleNs (which reading a document
// checks), and its indices fit 32 bits. Larger sets, such as the cells of
// many merged documents, are summed in floating point.
const maxIntegerSum = int(min(math.MaxInt64/results.MaxSampleNs, math.MaxUint32))

// sumResample sums len(s) values drawn uniformly with replacement from s.
// It is the hot loop of the mean's bootstrap (2,000 resamples of every
// cell), so it draws two indices per 64-bit output of a wyrand generator
// seeded from the caller's stream, inlined, and maps each 32-bit half to
// [0, n) by Lemire's multiply-shift with rejection, which is exactly
// uniform. About 3x faster than rand.IntN per draw.
func sumResample(s []int64, seed uint64) int64 {
	n := uint64(len(s))
	thresh := uint32(-uint32(n)) % uint32(n) // 2^32 mod n
	state := seed
	var sum int64
	for drawn := uint64(0); drawn < n; {
		state += 0xa0761d6478bd642f
		hi, lo := bits.Mul64(state, state^0xe7037ed1a0b428db)
		x := hi ^ lo
		if m := uint64(uint32(x)) * n; uint32(m) >= thresh {
			sum += s[m>>32]
			drawn++
		}
		if m := (x >> 32) * n; drawn < n && uint32(m) >= thresh {
			sum += s[m>>32]
			drawn++
		}
	}
	return sum
}
