package loadgen

import (
	"context"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
)

// calibrate measures two loopback servers as alternating targets, 2,000
// requests each, keep-alive off, and returns both arms' samples.
func calibrate(t *testing.T, controlDelay, targetDelay time.Duration) (control, target []int64) {
	t.Helper()
	if testing.Short() {
		t.Skip("calibration sends 4,000 requests (about 10 s); skipped with -short")
	}
	c := startServer(t, NewServer(WithDelay(controlDelay)))
	g := startServer(t, NewServer(WithDelay(targetDelay)))
	sizes, _ := ParseSizes([]string{".5k"})
	doc, err := Load(context.Background(), Config{
		Targets:  []Target{{"control", c}, {"target", g}},
		Sizes:    sizes,
		Requests: 2000,
		Rate:     200,
		Warmup:   DefaultWarmup,
		Timeout:  DefaultTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	base, other := cellOf(t, doc, "control", ".5k"), cellOf(t, doc, "target", ".5k")
	if len(base.SamplesNs) < 1990 || len(other.SamplesNs) < 1990 {
		t.Fatalf("samples: control %d, target %d of 2000 (errors %v, %v)", len(base.SamplesNs), len(other.SamplesNs), base.Errors, other.Errors)
	}
	return base.SamplesNs, other.SamplesNs
}

func logDiff(t *testing.T, d analysis.Difference) {
	t.Logf("control p50 %v, target p50 %v: difference %v, %.0f%% CI [%v, %v]", d.Base, d.Other, d.Diff, d.Confidence*100, d.CILow, d.CIHigh)
}

// TestCalibrationFindsInjectedDelay is the pipeline's calibration: a
// 100 µs delay injected on one server must come out as a 100 µs ± 30%
// median difference whose 95% confidence interval excludes 0.
func TestCalibrationFindsInjectedDelay(t *testing.T) {
	const injected = 100 * time.Microsecond
	d := analysis.CompareMedian(calibrate(t, 0, injected))
	logDiff(t, d)
	if d.Diff < injected*7/10 || d.Diff > injected*13/10 {
		t.Errorf("median difference %v, want %v ± 30%%", d.Diff, injected)
	}
	if !d.Significant || d.CILow <= 0 {
		t.Errorf("95%% CI [%v, %v] includes 0: a %v delay was not found", d.CILow, d.CIHigh, injected)
	}
}

// TestCalibrationEqualDelaysShowNoDifference is the A/A check: two servers
// with the same delay must not differ, so the interval includes 0. A 95%
// interval misses 0 in 1 of 20 honest runs; the test asks for the 99%
// interval so that a failure means a bias (one arm favoured), not bad luck.
func TestCalibrationEqualDelaysShowNoDifference(t *testing.T) {
	control, target := calibrate(t, 100*time.Microsecond, 100*time.Microsecond)
	logDiff(t, analysis.CompareMedian(control, target))
	d := analysis.CompareMedian(control, target, analysis.WithConfidence(0.99))
	logDiff(t, d)
	if d.CILow > 0 || d.CIHigh < 0 {
		t.Errorf("A/A: 99%% CI [%v, %v] excludes 0: the arms are not measured alike", d.CILow, d.CIHigh)
	}
}
