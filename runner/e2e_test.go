package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// These tests run meshbench's study on the lab: a real kube-apiserver, etcd,
// scheduler, controller-manager, kube-proxy and kube-router enforcing
// NetworkPolicies in the real kernel's netfilter, with pods as network
// namespaces.

func smallConfig(t *testing.T, steps ...int) Config {
	return Config{
		Plan:           generators.Plan{Kind: "networkpolicy", Steps: steps},
		RunID:          "e2e" + newTestID(),
		Via:            ViaPodIP,
		Load:           Load{Sizes: []string{".5k", "100k"}, Requests: 60, Rate: 200, Warmup: 5, Rounds: 1, Timeout: 5 * time.Second},
		EnforceTimeout: 90 * time.Second,
		PodTimeout:     2 * time.Minute,
		Log:            testLog{t},
	}
}

func TestRunStepsProducesACompleteEnforcedTable(t *testing.T) {
	c := labClient(t)
	ctx := context.Background()
	cfg := smallConfig(t, 0, 10, 50)
	cfg.Placement = cluster.SameNode
	doc, err := Run(ctx, c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// Every step × size × arm is present with the requests asked for.
	type key struct{ step, size, arm string }
	got := map[key]*results.Cell{}
	for i := range doc.Cells {
		cell := &doc.Cells[i]
		got[key{cell.Step, cell.SizeLabel, cell.Arm}] = cell
	}
	for _, step := range []string{"0", "10", "50"} {
		for _, size := range cfg.Load.Sizes {
			for _, arm := range []string{results.ArmTarget, results.ArmControl} {
				cell := got[key{step, size, arm}]
				if cell == nil || cell.Latency == nil {
					t.Fatalf("missing cell step %s size %s arm %s", step, size, arm)
				}
				if cell.ClientNode == "" || cell.ClientNode != cell.ServerNode {
					t.Errorf("step %s size %s arm %s: client on %q, server on %q; want one node (same-node)", step, size, arm, cell.ClientNode, cell.ServerNode)
				}
				if n := len(cell.Latency.SamplesNs); n != cfg.Load.Requests {
					t.Errorf("step %s size %s arm %s: %d samples, want %d (errors %v)", step, size, arm, n, cfg.Load.Requests, cell.Latency.Errors)
				}
				if arm == results.ArmTarget {
					e := cell.Enforcement
					if e == nil || !e.Enforced || !e.ClientAllowed {
						t.Errorf("step %s: enforcement %+v", step, e)
					} else if wantDenied := step != "0"; e.ProbeDenied != wantDenied {
						t.Errorf("step %s: probe denied = %v, want %v", step, e.ProbeDenied, wantDenied)
					}
				}
			}
		}
	}
	if doc.Cluster == nil || doc.Cluster.KubernetesVersion == "" || doc.Cluster.Placement != string(cluster.SameNode) {
		t.Errorf("cluster facts = %+v", doc.Cluster)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

// On the several nodes of the lab, cross-node placement puts the client on
// another node than the target and the control (which share one), every
// step is enforced, the document records each cell's nodes, and 100
// NetworkPolicies cost the target a significant overhead over the control.
func TestRunCrossNodeHundredPolicies(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 100)
	// The ports shape, whose decoys each match the client's address, costs
	// enough per policy to stand out of a short run's noise.
	cfg.Plan.Shape = policies.ShapePorts
	cfg.Placement = cluster.CrossNode
	cfg.Load = Load{Sizes: []string{".5k"}, Requests: 1000, Rate: 100, Warmup: 20, Rounds: 2, Timeout: 5 * time.Second}
	cfg.EnforceTimeout = 2 * time.Minute
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if doc.Cluster == nil || doc.Cluster.Placement != string(cluster.CrossNode) || len(doc.Cluster.Nodes) < 2 {
		t.Fatalf("cluster facts = %+v, want cross-node placement on two nodes or more", doc.Cluster)
	}
	samples := map[string][]int64{}
	for _, cell := range doc.Cells {
		if cell.ClientNode == "" || cell.ServerNode == "" || cell.ClientNode == cell.ServerNode {
			t.Errorf("step %s arm %s: client on %q, server on %q; want two different nodes", cell.Step, cell.Arm, cell.ClientNode, cell.ServerNode)
		}
		if cell.Arm == results.ArmTarget && (cell.Enforcement == nil || !cell.Enforcement.Enforced) {
			t.Errorf("step %s: not enforced: %+v", cell.Step, cell.Enforcement)
		}
		samples[cell.Step+"/"+cell.Arm] = cell.Latency.SamplesNs
	}
	over := analysis.CompareMedian(samples["100/"+results.ArmControl], samples["100/"+results.ArmTarget])
	t.Logf("cross-node, 100 policies: target over control median %+v", over)
	if !over.Significant || over.Diff <= 0 {
		t.Errorf("100 policies across nodes: target-over-control median %s [%s, %s] is not a significant increase", over.Diff, over.CILow, over.CIHigh)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func TestRunThousandPoliciesCostTheTargetNotTheControl(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1,000 policies take a minute on the lab")
	}
	c := labClient(t)
	cfg := smallConfig(t, 0, 1000)
	cfg.Plan.Shape = policies.ShapePorts
	cfg.Load = Load{Sizes: []string{".5k"}, Requests: 1000, Rate: 100, Warmup: 20, Rounds: 2, Timeout: 5 * time.Second}
	cfg.EnforceTimeout = 3 * time.Minute
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	samples := func(step, arm string) []int64 {
		for _, cell := range doc.Cells {
			if cell.Step == step && cell.Arm == arm {
				return cell.Latency.SamplesNs
			}
		}
		t.Fatalf("no cell step %s arm %s", step, arm)
		return nil
	}
	// Paired in the same window: the target's median over the control's.
	over := analysis.CompareMedian(samples("1000", results.ArmControl), samples("1000", results.ArmTarget))
	t.Logf("1,000 policies: target over control median %+v", over)
	if !over.Significant || over.Diff <= 0 {
		t.Errorf("1,000 policies: target-over-control median overhead %s [%s, %s] is not a significant increase",
			over.Diff, over.CILow, over.CIHigh)
	}
	base := analysis.CompareMedian(samples("0", results.ArmControl), samples("0", results.ArmTarget))
	if base.Diff >= over.Diff {
		t.Errorf("the target's overhead over the control at step 0 (%s) is not below that at 1,000 (%s)", base.Diff, over.Diff)
	}
	// The control no policy selects does not pay for the policies: its shift
	// between the steps stays well below the target's overhead.
	ctl := analysis.CompareMedian(samples("0", results.ArmControl), samples("1000", results.ArmControl))
	if abs(ctl.Diff) >= over.Diff/2 {
		t.Errorf("the control moved by %s between steps, half or more of the target's overhead %s", ctl.Diff, over.Diff)
	}
}

func TestEnforcementFailsWithoutTheAllowingPolicy(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 5)
	cfg.EnforceTimeout = 45 * time.Second // time for kube-router to deny the probe on a busy machine, then the client is the one left
	cfg.omit = func(u *unstructured.Unstructured) bool {
		return u.GetLabels()[policies.LabelPolicy] == policies.PolicyAllow
	}
	_, err := Run(context.Background(), c, cfg)
	if err == nil {
		t.Fatal("a step without the allowing policy was measured: its other policies admit the client")
	}
	if !strings.Contains(err.Error(), "client is not admitted") {
		t.Errorf("error = %v, want it to say the client is not admitted", err)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

// A pod whose image cannot be had fails the run at once with the reason and
// how to pass an image, instead of waiting out the pod timeout; the run's
// objects go.
func TestUnpullableImageFailsTheRunAtOnce(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0)
	cfg.Image = "registry.invalid/no-such-image:1"
	cfg.PodTimeout = 3 * time.Minute
	start := time.Now()
	_, err := Run(context.Background(), c, cfg)
	var ie *cluster.ImageError
	if !errors.As(err, &ie) || !strings.Contains(err.Error(), "--image") {
		t.Fatalf("run with an image that does not exist: %v, want an image error saying to pass --image", err)
	}
	if took := time.Since(start); took > time.Minute {
		t.Errorf("the run failed after %s; want it at once, not at the %s pod timeout", took, cfg.PodTimeout)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func TestCancelMidStepRemovesEverything(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 20)
	cfg.Load.Requests = 2000
	cfg.Load.Rate = 100
	ctx, cancel := context.WithCancel(context.Background())
	// Cancel while the first step measures, as Ctrl-C would.
	cfg.Log = cancelOn{t: t, text: "measuring", cancel: cancel}
	_, err := Run(ctx, c, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled run returned %v; want context.Canceled", err)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func assertNothingLeft(t *testing.T, c *cluster.Client, runID string) {
	t.Helper()
	left, err := c.Leftovers(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

func abs(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}
