package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// A run's datapath cells become one row per step, per connection, and the
// work per policy is the slope of the policy walk across steps.
func TestDatapathPerConnectionAndPerPolicy(t *testing.T) {
	doc := runDocument(3, "", []int{0, 100, 200}, nil)
	for _, n := range []int{0, 100, 200} {
		doc.Cells = append(doc.Cells, results.Cell{
			Step: itoa(n), Policies: n, PolicyKind: "networkpolicy", Arm: results.ArmTarget,
			Datapath: &results.Datapath{
				Node: "mblab-node-1", Duration: 20 * time.Second, Connections: 4000, TargetConnections: 2000,
				Engines: []results.EngineWork{{Engine: "kube-router", Rules: 3*n + 80,
					Evaluations: float64(4000 * (n + 10)), ChainsEntered: 8000, SelectedEvaluations: float64(2000 * (2*n + 5))}},
				CPU:  &results.CPU{Duration: 20 * time.Second, Softirq: 0.1, System: 0.2, CPUs: 2},
				Load: &results.NodeLoad{Load1: 1.5, RunQueue: 2, BusyCores: 0.6, CPUs: 2},
			},
		})
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReport([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	dp := rep.Datapath
	if dp == nil || len(dp.Rows) != 3 {
		t.Fatalf("datapath table %+v: want one row per step", dp)
	}
	at200 := dp.Rows[2]
	e := at200.Engines[0]
	if e.Rules != 680 || e.ChecksPerConn != 210 || e.WalkPerTargetConn != 405 || e.ChainsPerConn != 2 {
		t.Errorf("200 policies: %+v; want 680 rules, 210 checks and 2 chains per connection, a walk of 405 per target connection", e)
	}
	// 0.1 softirq cores over 20 s for 4,000 connections: 500 µs each.
	if at200.SoftirqUs != 500 || at200.SystemUs != 1000 {
		t.Errorf("softirq %.1f µs, system %.1f µs per connection; want 500 and 1000", at200.SoftirqUs, at200.SystemUs)
	}
	if len(dp.PerPolicy) != 1 || dp.PerPolicy[0].Checks != 2 || dp.PerPolicy[0].Rules != 3 {
		t.Fatalf("work per policy %+v: want 2 checks and 3 rules per policy", dp.PerPolicy)
	}
	var out strings.Builder
	if err := RenderReport(&out, rep, FormatTable); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Datapath per new connection", "policy walk/target conn", "405.0", "Work per policy", "Cost per policy", "Romana 2016"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}

// The target's crr windows get a table of their own: merged into the
// latency window's row they would divide one window's work by the other's
// connections.
func TestDatapathCRRWindowsAreATableOfTheirOwn(t *testing.T) {
	doc := runDocument(3, "", []int{0, 100}, nil)
	for _, n := range []int{0, 100} {
		for _, w := range []struct {
			window string
			conns  int64
			walk   float64
		}{{results.WindowHTTP, 2000, float64(n + 5)}, {results.WindowCRR, 1100, float64(n + 7)}} {
			doc.Cells = append(doc.Cells, results.Cell{
				Step: itoa(n), Policies: n, PolicyKind: "networkpolicy", Arm: results.ArmTarget,
				Datapath: &results.Datapath{
					Node: "mblab-node-1", Duration: 10 * time.Second, Window: w.window, Connections: w.conns, TargetConnections: w.conns,
					Engines: []results.EngineWork{{Engine: "kube-router", Rules: n + 80,
						Evaluations: float64(w.conns) * w.walk, ChainsEntered: float64(w.conns), SelectedEvaluations: float64(w.conns) * w.walk}},
				},
			})
		}
	}
	if err := doc.Validate(); err != nil {
		t.Fatal(err)
	}
	rep, err := BuildReport([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		table *DatapathTable
		conns int64
		walk  float64
	}{{rep.Datapath, 2000, 105}, {rep.DatapathCRR, 1100, 107}} {
		if c.table == nil || len(c.table.Rows) != 2 {
			t.Fatalf("datapath table %+v: want a row per step", c.table)
		}
		r := c.table.Rows[1]
		if r.TargetConnections != c.conns || r.Engines[0].WalkPerTargetConn != c.walk {
			t.Errorf("%q windows at 100 policies: %d connections, a walk of %.1f; want %d and %.1f", c.table.Window, r.TargetConnections, r.Engines[0].WalkPerTargetConn, c.conns, c.walk)
		}
	}
	var out strings.Builder
	if err := RenderReport(&out, rep, FormatTable); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "over the target's crr round trips") {
		t.Errorf("report lacks the crr windows' table:\n%s", out.String())
	}
}
