package analysis

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/meshbench/meshbench/internal/loopbacktest"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// startDelayServer runs a real sized-response server on loopback whose
// every answer waits delay.
func startDelayServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	srv := loadgen.NewServer(loadgen.WithDelay(delay))
	return "http://" + loopbacktest.Serve(t, func(ctx context.Context, ln net.Listener) { _ = srv.Serve(ctx, ln) })
}

// A study whose target answers 2 µs later per "policy" at every step —
// a known per-policy cost injected in a real server, the control never
// delayed, each step's arms alternating in one window as a run's do — is
// fitted to about 2 µs per policy, with an interval that excludes 0.
func TestSlopeRecoversAnInjectedPerPolicyDelay(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 4,800 requests on loopback; skipped with -short")
	}
	const perPolicy = 2 * time.Microsecond
	control := startDelayServer(t, 0)
	doc := results.New()
	for _, n := range []int{0, 50, 100, 200} {
		target := startDelayServer(t, time.Duration(n)*perPolicy)
		cfg := loadgen.Config{
			Targets: []loadgen.Target{{Name: results.ArmTarget, URL: target}, {Name: results.ArmControl, URL: control}},
			Sizes:   []loadgen.Size{{Label: ".5k", Bytes: 500}}, Requests: 600, Rate: 400, Warmup: 20, Rounds: 2,
			Timeout: 5 * time.Second,
		}
		d, err := loadgen.Load(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range d.Cells {
			c.Step, c.Policies, c.PolicyKind = itoa(n), n, "networkpolicy"
			doc.Cells = append(doc.Cells, c)
		}
		doc.Load = d.Load
	}
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Slopes) != 1 {
		t.Fatalf("slopes %+v: want one, of the study's one configuration at .5k", tab.Slopes)
	}
	s := tab.Slopes[0]
	t.Logf("fitted %v per policy [%v, %v] over %v (injected %v)", s.PerPolicy, s.CILow, s.CIHigh, s.Policies, perPolicy)
	if !s.Significant || s.CILow <= 0 {
		t.Errorf("slope %v [%v, %v]: want an interval above 0", s.PerPolicy, s.CILow, s.CIHigh)
	}
	// A spun delay shows at 80-100% on a busy machine; a per-policy figure
	// far off would mean the fit mixes up steps, arms or units.
	if s.PerPolicy < perPolicy*6/10 || s.PerPolicy > perPolicy*14/10 {
		t.Errorf("slope %v per policy, injected %v", s.PerPolicy, perPolicy)
	}
	if len(s.Policies) != 4 || s.Policies[0] != 0 || s.Policies[3] != 200 {
		t.Errorf("fitted steps %v, want 0, 50, 100, 200", s.Policies)
	}
}

// A study with no cost per policy fits a slope whose interval includes 0.
func TestSlopeOfNoCostIncludesZero(t *testing.T) {
	doc := runDocument(7, "", []int{0, 50, 100, 200}, nil)
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range tab.Slopes {
		if s.Significant {
			t.Errorf("%s at %s: %v [%v, %v] per policy with no cost injected", s.Config, s.Size, s.PerPolicy, s.CILow, s.CIHigh)
		}
	}
	if len(tab.Slopes) != 2 {
		t.Errorf("%d slopes, want one per size", len(tab.Slopes))
	}
}
