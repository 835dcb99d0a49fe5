package analysis

import (
	"slices"
	"testing"
	"time"
)

func TestSummarizeExactNearestRank(t *testing.T) {
	in := microseconds(1000)
	orig := slices.Clone(in)
	s := Summarize(in)
	want := Summary{
		N: 1000, Mean: 500500 * time.Nanosecond, Min: time.Microsecond,
		P50: 500 * time.Microsecond, P90: 900 * time.Microsecond,
		P99: 990 * time.Microsecond, P999: 999 * time.Microsecond, Max: 1000 * time.Microsecond,
	}
	// Sample standard deviation of 1..1000 µs: sqrt(1000·1001/12) µs.
	want.Stddev = 288819 * time.Nanosecond
	if s != want {
		t.Fatalf("Summarize(1..1000 µs)\n got %+v\nwant %+v", s, want)
	}
	if !slices.Equal(in, orig) {
		t.Fatal("Summarize reordered its input")
	}
}

func TestSummarizeSmallSets(t *testing.T) {
	if s := Summarize(nil); s != (Summary{}) {
		t.Fatalf("empty: %+v", s)
	}
	one := Summarize([]int64{42})
	if one.N != 1 || one.P50 != 42 || one.P999 != 42 || one.Min != 42 || one.Max != 42 || one.Stddev != 0 {
		t.Fatalf("one sample: %+v", one)
	}
	// Even count: nearest rank gives the lower middle value, never an average.
	four := Summarize([]int64{40, 10, 30, 20})
	if four.P50 != 20 || four.P90 != 40 || four.Mean != 25 {
		t.Fatalf("four samples: %+v", four)
	}
}

func TestPercentileMatchesSummary(t *testing.T) {
	in := latencies(3, 2001, 700e3, 0)
	s := Summarize(in)
	for _, c := range []struct {
		p    float64
		want time.Duration
	}{{50, s.P50}, {90, s.P90}, {99, s.P99}, {99.9, s.P999}, {100, s.Max}, {0.0001, s.Min}} {
		if got := Percentile(in, c.p); got != c.want {
			t.Errorf("Percentile(%v) = %v, want %v", c.p, got, c.want)
		}
	}
}
