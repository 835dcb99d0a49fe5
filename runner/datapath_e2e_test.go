package runner

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// --measure latency,rtt,datapath on the lab reads the target's node around
// every latency window and the target's crr window: kube-router's policy
// walk per new connection to the target is small at 0 policies and at
// least N at N policies of the ports shape (every decoy's chain is entered
// by each new connection's first packet), a crr connection walks what an
// HTTP one does, and the report fits the work per policy.
func TestRunDatapathWalkGrowsWithThePolicies(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 100, 200)
	cfg.Shapes = []policies.Shape{policies.ShapePorts, policies.ShapePeers}
	cfg.Placement = cluster.SameNode
	cfg.Measures = DefaultMeasures()
	cfg.Measures.Datapath = true
	cfg.Measures.RTT = true
	cfg.Measures.RTTRequests = 300
	cfg.Load = Load{Sizes: []string{".5k"}, Requests: 300, Rate: 100, Warmup: 10, Rounds: 1, Timeout: 5 * time.Second}
	cfg.EnforceTimeout = 2 * time.Minute
	cfg.NodeAccess = func(node string) (datapath.Node, error) { return lab.DatapathNode(lab.StateDirFromEnv(), node) }
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	walk, crrWalk := map[string]float64{}, map[string]float64{}
	for _, cell := range doc.Cells {
		d := cell.Datapath
		if d == nil {
			continue
		}
		key := cell.Step + "/" + cell.Shape
		if d.Window == results.WindowCRR {
			for _, e := range d.Engines {
				if e.Engine == "kube-router" {
					crrWalk[key] = results.PerConnection(e.SelectedEvaluations, d.TargetConnections)
					t.Logf("step %s crr: walk %.1f per connection, %d connections", key, crrWalk[key], d.TargetConnections)
				}
			}
			if d.TargetConnections < int64(cfg.Measures.RTTRequests) {
				t.Errorf("step %s crr window: %d connections; want every round trip's", key, d.TargetConnections)
			}
			continue
		}
		for _, e := range d.Engines {
			if e.Engine == "kube-router" {
				walk[key] = results.PerConnection(e.SelectedEvaluations, d.TargetConnections)
				t.Logf("step %s: kube-router %d rules, %.1f checks per connection, walk %.1f per target connection, %d connections (%d target), changed %d; cpu softirq %.3f cores, load %+v",
					key, e.Rules, results.PerConnection(e.Evaluations, d.Connections), walk[key], d.Connections, d.TargetConnections, d.Changed, d.CPU.Softirq, *d.Load)
			}
		}
		if d.Connections < int64(2*cfg.Load.Requests) || d.CPU == nil || d.Load == nil {
			t.Errorf("step %s: %d connections, cpu %v, load %v: want every request's connection, the node's CPU and load", key, d.Connections, d.CPU, d.Load)
		}
	}
	if len(walk) != 5 {
		t.Fatalf("datapath figures for %v: want step 0 and steps 100, 200 of both shapes", walk)
	}
	if walk["0/"] > 20 {
		t.Errorf("step 0: a walk of %.1f checks per new connection to the target; want a few (no policy selects it, only its own chain's rules)", walk["0/"])
	}
	for _, n := range []int{100, 200} {
		key := itoa(n) + "/ports"
		if walk[key] < float64(n) {
			t.Errorf("%d ports policies: a policy walk of %.1f checks per new connection; want at least %d", n, walk[key], n)
		}
	}
	if len(crrWalk) != len(walk) {
		t.Fatalf("crr datapath figures %v: want one per step, as HTTP's %v", crrWalk, walk)
	}
	for key, w := range walk {
		// Per new connection crr and HTTP pay the same walk; step 0's few
		// checks are compared on an absolute scale.
		if c := crrWalk[key]; c < w/2-5 || c > 2*w+5 {
			t.Errorf("step %s: a crr connection walked %.1f checks, an HTTP one %.1f; want the same walk", key, c, w)
		}
	}
	if walk["200/ports"] <= walk["100/ports"] {
		t.Errorf("the walk does not grow with the policies: %.1f at 100, %.1f at 200", walk["100/ports"], walk["200/ports"])
	}
	rep, err := analysis.BuildReport([]analysis.Source{{Docs: []*results.Document{doc}}}, analysis.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Datapath == nil || len(rep.Datapath.PerPolicy) == 0 {
		t.Fatalf("report has no datapath fit: %+v", rep.Datapath)
	}
	for _, w := range rep.Datapath.PerPolicy {
		t.Logf("%s %s: %.2f checks and %.2f rules per policy over %v", w.Config, w.Engine, w.Checks, w.Rules, w.Policies)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func itoa(n int) string { return fmt.Sprint(n) }
