package cluster_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/generators"
)

// BenchmarkApplyPolicies applies N NetworkPolicies to the lab's real
// kube-apiserver with concurrent server-side apply, then one by one, and
// removes each batch with one DeleteCollection; it reports objects per
// second for each and the removal time, side by side in one run.
func BenchmarkApplyPolicies(b *testing.B) {
	c := labClient(b)
	ctx := context.Background()
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				concurrent := applyAndRemove(b, c, ctx, n, cluster.DefaultWorkers)
				b.ReportMetric(concurrent.perSecond, "objects/s")
				b.ReportMetric(concurrent.remove.Seconds(), "remove-s")
				if n <= 1000 {
					serial := applyAndRemove(b, c, ctx, n, 1)
					b.ReportMetric(serial.perSecond, "objects/s-one-by-one")
					b.ReportMetric(concurrent.perSecond/serial.perSecond, "speedup")
				}
			}
		})
	}
}

type applyResult struct {
	perSecond float64
	remove    time.Duration
}

func applyAndRemove(b *testing.B, c *cluster.Client, ctx context.Context, n, workers int) applyResult {
	b.Helper()
	runID := fmt.Sprintf("bench%d-%d", n, workers)
	ns := "meshbench-" + runID
	if _, err := c.EnsureNamespace(ctx, ns, runID); err != nil {
		b.Fatal(err)
	}
	plan := generators.Plan{Kind: "networkpolicy", Steps: []int{n}, Namespace: ns, RunID: runID, Port: cluster.ServerPort}
	objs, err := plan.Objects(n)
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := c.Apply(ctx, objs, cluster.ApplyOptions{Workers: workers}); err != nil {
		b.Fatal(err)
	}
	took := time.Since(start)
	start = time.Now()
	if _, err := c.DeleteRun(ctx, runID); err != nil {
		b.Fatal(err)
	}
	removed := time.Since(start)
	b.Logf("%d policies, %d workers: applied in %s (%.0f/s), removed with the namespace in %s", n, workers, took.Round(time.Millisecond), float64(n)/took.Seconds(), removed.Round(time.Millisecond))
	return applyResult{perSecond: float64(n) / took.Seconds(), remove: removed}
}
