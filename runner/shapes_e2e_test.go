package runner

import (
	"context"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// A study of two decoy shapes on the lab measures step 0 once and each
// shape's step with policies, every one enforced; the ports shape, whose
// decoys each match the client's address and fail on the port, costs
// kube-router more per new connection than peers, whose decoys match none
// of the traffic.
func TestRunMeasuresEveryShapeSharingStepZero(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 200)
	cfg.Shapes = []policies.Shape{policies.ShapePorts, policies.ShapePeers}
	cfg.Placement = cluster.SameNode
	cfg.Load = Load{Sizes: []string{".5k"}, Requests: 600, Rate: 100, Warmup: 20, Rounds: 2, Timeout: 5 * time.Second}
	cfg.EnforceTimeout = 2 * time.Minute
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	byShape := map[string]map[string][]int64{}
	count := map[string]int{}
	for _, cell := range doc.Cells {
		key := cell.Step + "/" + cell.Shape
		count[key]++
		if byShape[key] == nil {
			byShape[key] = map[string][]int64{}
		}
		byShape[key][cell.Arm] = cell.Latency.SamplesNs
		if cell.Arm == results.ArmTarget && (cell.Enforcement == nil || !cell.Enforcement.Enforced) {
			t.Errorf("step %s: not enforced: %+v", key, cell.Enforcement)
		}
	}
	for _, key := range []string{"0/", "200/ports", "200/peers"} {
		if count[key] != 2 {
			t.Errorf("step %s: %d cells, want one per arm (cells by step/shape: %v)", key, count[key], count)
		}
	}
	if len(count) != 3 {
		t.Errorf("cells by step/shape %v: want step 0 once and step 200 per shape", count)
	}
	over := func(key string) analysis.Difference {
		return analysis.CompareMedian(byShape[key][results.ArmControl], byShape[key][results.ArmTarget])
	}
	ports, peers := over("200/ports"), over("200/peers")
	t.Logf("200 policies, target over control: ports %v [%v, %v], peers %v [%v, %v]",
		ports.Diff, ports.CILow, ports.CIHigh, peers.Diff, peers.CILow, peers.CIHigh)
	if !ports.Significant || ports.Diff <= peers.Diff {
		t.Errorf("200 ports decoys cost %v over the control, 200 peers decoys %v: want ports significant and above peers", ports.Diff, peers.Diff)
	}
	rep, err := analysis.BuildTable([]analysis.Source{{Docs: []*results.Document{doc}}}, analysis.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range rep.Rows {
		labels = append(labels, r.Label)
	}
	if len(labels) != 3 || labels[1] != "ports / 200" || labels[2] != "peers / 200" {
		t.Errorf("report rows %q: want the shared step 0, then ports / 200 and peers / 200", labels)
	}
	assertNothingLeft(t, c, cfg.RunID)
}
