package analysis

import (
	"math"
	"slices"
	"time"
)

// Summary describes one set of latency samples exactly.
//
// Percentiles use the nearest-rank definition: the p-th percentile of N
// samples is the value at rank ⌈p/100 · N⌉ (1-based) of the sorted samples,
// so it is always a latency that was really observed. For the durations
// 1, 2, …, 1000 µs that gives P50 = 500 µs, P90 = 900 µs, P99 = 990 µs and
// P999 = 999 µs. For an even N, P50 is the lower of the two middle values.
type Summary struct {
	N      int           `json:"n"`
	Mean   time.Duration `json:"meanNs"`
	Stddev time.Duration `json:"stddevNs"`
	Min    time.Duration `json:"minNs"`
	P50    time.Duration `json:"p50Ns"`
	P90    time.Duration `json:"p90Ns"`
	P99    time.Duration `json:"p99Ns"`
	P999   time.Duration `json:"p999Ns"`
	Max    time.Duration `json:"maxNs"`
}

// Summarize returns the summary of samplesNs (durations in nanoseconds). It
// does not modify samplesNs. An empty input gives a zero Summary.
func Summarize(samplesNs []int64) Summary {
	n := len(samplesNs)
	if n == 0 {
		return Summary{}
	}
	sorted := slices.Clone(samplesNs)
	slices.Sort(sorted)
	mean, stddev := meanStddev(sorted)
	return Summary{
		N:      n,
		Mean:   roundDuration(mean),
		Stddev: roundDuration(stddev),
		Min:    time.Duration(sorted[0]),
		P50:    time.Duration(sorted[rankIndex(n, 500_000)]),
		P90:    time.Duration(sorted[rankIndex(n, 900_000)]),
		P99:    time.Duration(sorted[rankIndex(n, 990_000)]),
		P999:   time.Duration(sorted[rankIndex(n, 999_000)]),
		Max:    time.Duration(sorted[n-1]),
	}
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of
// samplesNs, exactly as Summary defines it. It does not modify samplesNs.
func Percentile(samplesNs []int64, p float64) time.Duration {
	if len(samplesNs) == 0 {
		return 0
	}
	sorted := slices.Clone(samplesNs)
	slices.Sort(sorted)
	return time.Duration(sorted[rankIndex(len(sorted), ppm(p))])
}

// ppm converts a percentile in percent to parts per million, so ranks are
// computed in integers: 99.9 · N / 100 in floating point is not always exact.
func ppm(p float64) int64 {
	return int64(math.Round(p * 10_000))
}

// rankIndex is the 0-based index of the nearest-rank percentile q (in parts
// per million) of n sorted values: ⌈q·n/10⁶⌉ - 1, clamped to [0, n-1].
func rankIndex(n int, q int64) int {
	r := (q*int64(n) + 999_999) / 1_000_000
	if r < 1 {
		r = 1
	}
	if r > int64(n) {
		r = int64(n)
	}
	return int(r - 1)
}

// meanStddev returns the mean and the sample standard deviation (n-1 in the
// denominator; 0 for a single sample), accumulated with Welford's method so
// that large nanosecond values lose no precision.
func meanStddev(samples []int64) (mean, stddev float64) {
	var m2 float64
	for i, v := range samples {
		x := float64(v)
		d := x - mean
		mean += d / float64(i+1)
		m2 += d * (x - mean)
	}
	if len(samples) > 1 {
		stddev = math.Sqrt(m2 / float64(len(samples)-1))
	}
	return mean, stddev
}

func roundDuration(ns float64) time.Duration { return time.Duration(math.Round(ns)) }
