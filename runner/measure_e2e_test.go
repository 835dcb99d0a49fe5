package runner

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// measuresCells indexes a run's non-latency cells by step, arm and what they
// measured ("stream 1", "rr", ...).
func measuresCells(t *testing.T, doc *results.Document) map[[3]string]*results.Cell {
	t.Helper()
	out := map[[3]string]*results.Cell{}
	for i := range doc.Cells {
		c := &doc.Cells[i]
		switch {
		case c.Throughput != nil:
			out[[3]string{c.Step, c.Arm, "stream " + strconv.Itoa(c.Throughput.Parallel)}] = c
		case c.RTT != nil:
			out[[3]string{c.Step, c.Arm, c.RTT.Mode}] = c
		case c.Latency != nil:
			t.Errorf("latency cell at step %s although --measure left latency out", c.Step)
		}
	}
	return out
}

// A run with --measure throughput,rtt,cpu at steps 0 and 100 on the lab
// measures streams and round trips to the target (through the policies)
// and the control, with both sides' CPU, labels the cells like latency
// cells, and renders them.
func TestRunMeasuresThroughputRTTAndCPU(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 100)
	cfg.Measures = Measures{Throughput: true, RTT: true, CPU: true, Streams: []int{1, 2},
		StreamDuration: 2 * time.Second, StreamOmit: 500 * time.Millisecond, RTTRequests: 300}
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	cells := measuresCells(t, doc)
	for _, step := range []string{"0", "100"} {
		for _, arm := range []string{results.ArmTarget, results.ArmControl} {
			for _, p := range []int{1, 2} {
				cell := cells[[3]string{step, arm, "stream " + strconv.Itoa(p)}]
				if cell == nil {
					t.Errorf("step %s %s: no %d-stream cell", step, arm, p)
					continue
				}
				th := cell.Throughput
				if th.Connections != int64(p) || th.Gbps() <= 0 || th.ServerBytes != th.WireBytes {
					t.Errorf("step %s %s %d streams: %d connections counted, %.2f Gbit/s, server %d bytes vs client %d",
						step, arm, p, th.Connections, th.Gbps(), th.ServerBytes, th.WireBytes)
				}
				if cell.CPU == nil || cell.ServerCPU == nil || cell.CPU.Busy() <= 0 {
					t.Errorf("step %s %s %d streams: cpu %+v, server cpu %+v", step, arm, p, cell.CPU, cell.ServerCPU)
				}
				if cell.Mesh != "none" || cell.Policies != map[string]int{"0": 0, "100": 100}[step] || cell.PolicyKind != "networkpolicy" {
					t.Errorf("step %s %s: labelled mesh %q, %d policies of kind %q", step, arm, cell.Mesh, cell.Policies, cell.PolicyKind)
				}
			}
			for _, mode := range []string{loadgen.ModeRR, loadgen.ModeCRR} {
				cell := cells[[3]string{step, arm, mode}]
				if cell == nil {
					t.Errorf("step %s %s: no %s cell", step, arm, mode)
					continue
				}
				// rr: one connection; crr: one per round trip.
				okConns := cell.RTT.Connections >= 1 && cell.RTT.Connections <= 2
				if mode == loadgen.ModeCRR {
					okConns = cell.RTT.Connections >= int64(cfg.Measures.RTTRequests)
				}
				if n := len(cell.RTT.SamplesNs); n != cfg.Measures.RTTRequests || !okConns {
					t.Errorf("step %s %s %s: %d samples on %d connections, errors %v", step, arm, mode, n, cell.RTT.Connections, cell.RTT.Errors)
				}
			}
		}
		if e := cells[[3]string{step, results.ArmTarget, "rr"}].Enforcement; e == nil || !e.Enforced {
			t.Errorf("step %s: the target's cells carry no confirmed enforcement: %+v", step, e)
		}
	}

	rep, err := analysis.BuildReport([]analysis.Source{{Docs: []*results.Document{doc}}}, analysis.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Latency != nil || rep.Throughput == nil || len(rep.Throughput.Rows) != 2 || rep.RTT == nil || len(rep.RTT.Rows) != 2 || rep.CPU == nil {
		t.Fatalf("report of the run: %+v", rep)
	}
	var out bytes.Buffer
	if err := analysis.RenderReport(&out, rep, analysis.FormatTable); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	for _, want := range []string{"Throughput, Gbit/s", "Round trip, µs", "CPU, cores", "server"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("rendered report lacks %q", want)
		}
	}
	assertNothingLeft(t, c, cfg.RunID)
}

// The reading the README gives for 1,000 NetworkPolicies on the lab:
// kube-router accepts established connections before its policy chains, so
// streams and round trips on an open connection (rr) do not pay for the
// policies, while every new connection (crr) walks them. The target is
// compared with the control in the same step, which no policy selects.
func TestRunThousandPoliciesCostNewConnectionsNotStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 1,000 policies take a minute on the lab")
	}
	c := labClient(t)
	cfg := smallConfig(t, 0, 1000)
	cfg.Plan.Shape = policies.ShapePorts // decoys that match the client's address: a walk that stands out
	cfg.EnforceTimeout = 3 * time.Minute
	cfg.Measures = Measures{Throughput: true, RTT: true, CPU: true, Streams: []int{1, 4},
		StreamDuration: 5 * time.Second, StreamOmit: time.Second, RTTRequests: 2000}
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	// MESHBENCH_TEST_RESULTS keeps the document, e.g. to render it for the README.
	if path := os.Getenv("MESHBENCH_TEST_RESULTS"); path != "" {
		if err := doc.WriteFile(path); err != nil {
			t.Error(err)
		}
	}
	rep, err := analysis.BuildReport([]analysis.Source{{Docs: []*results.Document{doc}}}, analysis.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := analysis.RenderReport(&out, rep, analysis.FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())

	col := func(mode string) int {
		for i, c := range rep.RTT.Columns {
			if c.Mode == mode {
				return i
			}
		}
		t.Fatalf("no %s column", mode)
		return -1
	}
	at1000 := rep.RTT.Rows[1]
	crr, rr := at1000.Cells[col("crr")], at1000.Cells[col("rr")]
	if crr.Paired == nil || !crr.Paired.Significant || crr.Paired.Diff <= 0 {
		t.Fatalf("crr at 1,000 policies, target over control: %+v; want a significant increase", crr.Paired)
	}
	if crr.Overhead == nil || !crr.Overhead.Significant || crr.Overhead.Diff <= 0 {
		t.Errorf("crr at 1,000 vs 0 policies: %+v; want a significant increase", crr.Overhead)
	}
	if rr.Paired == nil || rr.Paired.Diff.Abs() >= crr.Paired.Diff/2 {
		t.Errorf("rr at 1,000 policies, target over control %+v: established connections should pay far less than new ones (crr %v)", rr.Paired, crr.Paired.Diff)
	}
	for i, c := range rep.Throughput.Rows[1].Cells {
		// Established streams skip the chains: the target keeps most of the
		// control's rate (a loose bound: two shared cores are noisy).
		if c.Paired == nil || c.Paired.Percent < -30 {
			t.Errorf("%s at 1,000 policies, target over control: %+v; want no large loss", rep.Throughput.Columns[i].Label, c.Paired)
		}
	}
}
