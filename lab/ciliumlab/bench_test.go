package ciliumlab_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/results"
)

// engineStudy is the study both engines run: the README's engines table.
var engineStudy = []string{"--policies", "0,100,1000", "--shape", "peers", "--sizes", ".5k",
	"--requests", "1000", "--rate", "100", "--warmup", "20", "--rtt-requests", "1000",
	"--measure", "latency,rtt,datapath"}

// BenchmarkEnginePerPolicyConnectCost runs the same study on a two-node lab
// with each engine in turn (`meshbench run` with NetworkPolicies at 0, 100
// and 1,000, decoys of the peers shape, HTTP with keep-alive off and crr,
// the server node's datapath read through every latency window) and prints
// per engine the latency cost per policy per new connection (the slope of
// target over control against the policy count, with its CI), target over
// control at every step for HTTP and crr, the datapath's work per new
// connection, and kube-router's cost per policy over Cilium's. With
// MESHBENCH_BENCH_RESULTS set to a directory, the two results documents
// are kept there as kube-router.json and cilium.json (for `meshbench
// compare`).
func BenchmarkEnginePerPolicyConnectCost(b *testing.B) {
	dir := os.Getenv("MESHBENCH_BENCH_RESULTS")
	if dir == "" {
		dir = b.TempDir()
	}
	reports := map[lab.Engine]*analysis.Report{}
	for _, engine := range lab.Engines {
		b.Run(string(engine), func(b *testing.B) {
			for b.Loop() {
				reports[engine] = studyEngine(b, engine, filepath.Join(dir, string(engine)+".json"))
			}
		})
	}
	slope := map[lab.Engine]analysis.Slope{}
	for _, e := range lab.Engines {
		rep := reports[e]
		if rep == nil || rep.Latency == nil || len(rep.Latency.Slopes) == 0 {
			b.Fatalf("%s: no latency slope in the report", e)
		}
		slope[e] = rep.Latency.Slopes[0]
		printEngine(e, rep)
	}
	kr, ci := slope[lab.EngineKubeRouter], slope[lab.EngineCilium]
	fmt.Printf("cost per policy per new connection: kube-router %s, cilium %s; ratio kube-router/cilium %s\n",
		slopeText(kr), slopeText(ci), ratio(kr, ci))
}

// studyEngine brings a two-node lab with engine up, runs the study on it
// into path, brings it down and returns the study's report.
func studyEngine(b *testing.B, engine lab.Engine, path string) *analysis.Report {
	b.Helper()
	l, opts := startLab(b, engine, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Minute)
	defer cancel()
	args := append([]string{"run", "--kubeconfig", l.Kubeconfig(), "--results", path}, engineStudy...)
	cmd := exec.CommandContext(ctx, opts.Meshbench, args...)
	cmd.Env = append(os.Environ(), "MESHBENCH_LAB_DIR="+opts.StateDir)
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("%s: meshbench %s: %v\n%s", engine, strings.Join(args, " "), err, tail(out))
	}
	if err := lab.Down(ctx, opts); err != nil {
		b.Fatalf("%s: down: %v", engine, err)
	}
	doc, err := results.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	rep, err := analysis.BuildReport([]analysis.Source{{Docs: []*results.Document{doc}}}, analysis.TableOptions{})
	if err != nil {
		b.Fatal(err)
	}
	return rep
}

// printEngine prints one engine's steps: HTTP and crr target over control,
// and the datapath's work per new connection.
func printEngine(e lab.Engine, rep *analysis.Report) {
	crr := map[string]*analysis.Difference{}
	if t := rep.RTT; t != nil {
		for _, r := range t.Rows {
			for i, c := range t.Columns {
				if c.Mode == "crr" && r.Arm == results.ArmTarget && r.Cells[i].Paired != nil {
					crr[r.Step] = r.Cells[i].Paired
				}
			}
		}
	}
	work := map[string]analysis.DatapathRow{}
	if t := rep.Datapath; t != nil {
		for _, r := range t.Rows {
			work[r.Step] = r
		}
	}
	for _, r := range rep.Latency.Rows {
		if r.Arm != results.ArmTarget || len(r.Cells) == 0 {
			continue
		}
		d := work[r.Step]
		var walk string
		for _, w := range d.Engines {
			if w.Engine == "kube-router" {
				walk = fmt.Sprintf(", policy walk %.1f checks", w.WalkPerTargetConn)
			}
		}
		if d.BPFRunsPerTargetConn > 0 {
			walk += fmt.Sprintf(", BPF %.1f runs × %.0f ns", d.BPFRunsPerTargetConn, d.BPFNsPerRun)
		}
		var http *analysis.Difference
		if p := r.Cells[0].Paired; p != nil {
			m := p.By(analysis.Median)
			http = &m
		}
		fmt.Printf("%-11s %5d policies: HTTP target over control %s, crr %s; per new connection%s, softirq %.1f µs (load1 %.2f)\n",
			e, r.Policies, diffText(http), diffText(crr[r.Step]), walk, d.SoftirqUs, d.Load1)
	}
}

func diffText(d *analysis.Difference) string {
	if d == nil {
		return "-"
	}
	return fmt.Sprintf("%+.3f ms [%+.3f, %+.3f]", ms(d.Diff), ms(d.CILow), ms(d.CIHigh))
}

func slopeText(s analysis.Slope) string {
	return fmt.Sprintf("%+.3f µs [%+.3f, %+.3f]", us(s.PerPolicy), us(s.CILow), us(s.CIHigh))
}

// ratio is a's slope over b's; where b's interval includes 0 the ratio
// is noise over noise, and what the run shows is a lower bound: a's slope
// over the top of b's interval.
func ratio(a, b analysis.Slope) string {
	switch {
	case b.CIHigh <= 0:
		return fmt.Sprintf("undefined (cilium's slope %s is not above 0)", slopeText(b))
	case b.CILow <= 0:
		return fmt.Sprintf("at least %.1f (cilium's interval includes 0; its point estimate gives %.1f)",
			float64(a.PerPolicy)/float64(b.CIHigh), float64(a.PerPolicy)/float64(max(b.PerPolicy, 1)))
	}
	return fmt.Sprintf("%.1f", float64(a.PerPolicy)/float64(b.PerPolicy))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
