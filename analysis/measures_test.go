package analysis

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// rates returns n interval rates in bit/s around gbps with a 2% spread.
func rates(seed uint64, n int, gbps float64) []float64 {
	rng := rand.New(rand.NewPCG(seed, seed+3))
	out := make([]float64, n)
	for i := range out {
		out[i] = gbps * 1e9 * (1 + 0.02*rng.NormFloat64())
	}
	return out
}

func streamCell(step, arm string, parallel int, bps []float64, cpu *results.CPU) results.Cell {
	var bytes int64
	for _, r := range bps {
		bytes += int64(r / 8)
	}
	n, _ := itoaInt(step)
	return results.Cell{Step: step, Policies: n, PolicyKind: "networkpolicy", Arm: arm, Size: 128 << 10, SizeLabel: "128Ki",
		Throughput: &results.Throughput{Parallel: parallel, Direction: "send", Bytes: bytes, ServerBytes: bytes,
			Duration: time.Duration(len(bps)) * time.Second, IntervalsBps: bps, Retransmits: 7, Connections: int64(parallel)},
		CPU: cpu}
}

func rttCell(step, arm, mode string, seed uint64, median float64) results.Cell {
	n, _ := itoaInt(step)
	s := latencies(seed, 3000, median, 0)
	return results.Cell{Step: step, Policies: n, PolicyKind: "networkpolicy", Arm: arm, Size: 1, SizeLabel: "1",
		RTT: &results.RTT{Mode: mode, SamplesNs: s, MessageSize: 1, Requests: 3000, Connections: 1}}
}

func itoaInt(s string) (int, error) {
	var n int
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, nil
		}
		n = 10*n + int(r-'0')
	}
	return n, nil
}

// measuresDocument is a run of steps 0 and 1000 with a target and a control
// arm: established streams and rr round trips are alike at both steps, the
// 4-stream target loses 20% at 1000, and crr pays 200 µs more there on the
// target only.
func measuresDocument() *results.Document {
	d := results.New()
	cpuOf := func(user float64) *results.CPU {
		return &results.CPU{Source: "client", User: user, System: 1.0, Softirq: 0.3, Steal: 0.01, Idle: 0.2, CPUs: 4,
			Cgroup: 0.8, CgroupPath: "/sys/fs/cgroup/pod", Duration: 10 * time.Second}
	}
	seed := uint64(100)
	for _, step := range []string{"0", "1000"} {
		for _, arm := range []string{results.ArmTarget, results.ArmControl} {
			seed += 10
			four := 20.0
			crr := 100e3
			if step == "1000" && arm == results.ArmTarget {
				four = 16
				crr = 300e3
			}
			d.Cells = append(d.Cells,
				streamCell(step, arm, 1, rates(seed, 10, 10), cpuOf(0.5)),
				streamCell(step, arm, 4, rates(seed+1, 10, four), cpuOf(0.5)),
				rttCell(step, arm, "rr", seed+2, 30e3),
				rttCell(step, arm, "crr", seed+3, crr))
		}
	}
	return d
}

func buildReport(t *testing.T, docs ...*results.Document) *Report {
	t.Helper()
	r, err := BuildReport([]Source{{Docs: docs}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestReportThroughputMeansCIsAndOverheads(t *testing.T) {
	r := buildReport(t, measuresDocument())
	if r.Latency != nil || r.Throughput == nil || r.RTT == nil || r.CPU == nil {
		t.Fatalf("want throughput, rtt and cpu tables and no latency table, got %+v", r)
	}
	th := r.Throughput
	if th.RowTitle != "policies" || th.Baseline != "0" || th.Arm != results.ArmTarget {
		t.Errorf("row title %q, baseline %q, arm %q; want policies, 0, target", th.RowTitle, th.Baseline, th.Arm)
	}
	if len(th.Columns) != 2 || th.Columns[0].Label != "1 stream" || th.Columns[1].Label != "4 streams" {
		t.Fatalf("columns %+v, want 1 stream and 4 streams", th.Columns)
	}
	if len(th.Rows) != 2 {
		t.Fatalf("%d rows, want the target at 0 and 1000", len(th.Rows))
	}
	doc := measuresDocument()
	want := 0.0
	for _, bps := range doc.Cells[0].Throughput.IntervalsBps {
		want += bps / 1e9 / 10
	}
	c := th.Rows[0].Cells[0]
	if math.Abs(c.Gbps-want) > 1e-9 || c.Intervals != 10 || c.Repeats != 1 {
		t.Errorf("0 / 1 stream: %.6f Gbit/s over %d intervals, want %.6f over 10", c.Gbps, c.Intervals, want)
	}
	if !(c.GbpsCILow < c.Gbps && c.Gbps < c.GbpsCIHigh) || c.GbpsCIHigh-c.GbpsCILow > 1 {
		t.Errorf("CI [%.3f, %.3f] should hold the mean %.3f and be narrow for a 2%% spread", c.GbpsCILow, c.GbpsCIHigh, c.Gbps)
	}
	if c.Retransmits != 7 || c.Connections != 1 {
		t.Errorf("retransmits %d, connections %d; want 7 and 1", c.Retransmits, c.Connections)
	}
	same, drop := th.Rows[1].Cells[0].Overhead, th.Rows[1].Cells[1].Overhead
	if same == nil || same.Significant || !same.HasCI {
		t.Errorf("1 stream at 1000 vs 0: %+v; want an interval including 0", same)
	}
	if drop == nil || !drop.Significant || math.Abs(drop.Percent+20) > 3 {
		t.Errorf("4 streams at 1000 vs 0: %+v; want about -20%%, significant", drop)
	}
	if p := th.Rows[1].Cells[1].Paired; p == nil || !p.Significant || math.Abs(p.Percent+20) > 3 {
		t.Errorf("4 streams target over control at 1000: %+v; want about -20%%, significant", p)
	}
	if th.Rows[0].Cells[0].Overhead != nil {
		t.Error("the baseline row has an overhead against itself")
	}
}

func TestReportRTTPercentilesAndMedianOverhead(t *testing.T) {
	rt := buildReport(t, measuresDocument()).RTT
	if len(rt.Columns) != 2 || rt.Columns[0].Mode != "rr" || rt.Columns[1].Mode != "crr" {
		t.Fatalf("columns %+v, want rr and crr", rt.Columns)
	}
	doc := measuresDocument()
	if got, want := rt.Rows[0].Cells[0].Summary, Summarize(doc.Cells[2].RTT.SamplesNs); got != want {
		t.Errorf("0 / rr summary %+v, want %+v", got, want)
	}
	rr, crr := rt.Rows[1].Cells[0].Overhead, rt.Rows[1].Cells[1].Overhead
	if crr == nil || !crr.Significant || crr.Diff < 180*time.Microsecond || crr.Diff > 220*time.Microsecond {
		t.Errorf("crr p50 at 1000 vs 0: %+v; want about +200 µs, significant", crr)
	}
	if rr == nil || rr.Statistic != Median || rr.Diff.Abs() > 3*time.Microsecond {
		t.Errorf("rr p50 at 1000 vs 0: %+v; want a median difference of about 0", rr)
	}
	if p := rt.Rows[1].Cells[1].Paired; p == nil || !p.Significant || p.Diff < 180*time.Microsecond {
		t.Errorf("crr target over control at 1000: %+v; want about +200 µs", p)
	}
}

// The paired round-trip figures say which arms ran one after the other:
// here rr did and crr alternated (meshbench run's crr pod), so the drift
// note names rr alone; with crr sequential as well it names both.
func TestReportRTTNotesSequentialArmsOnly(t *testing.T) {
	note := func(doc *results.Document) string {
		for _, n := range buildReport(t, doc).RTT.Notes {
			if strings.Contains(n, "one after the other") {
				return n
			}
		}
		return ""
	}
	doc := measuresDocument()
	for i := range doc.Cells {
		if r := doc.Cells[i].RTT; r != nil && r.Mode == "crr" {
			r.Alternated = true
		}
	}
	if n := note(doc); !strings.HasPrefix(n, "rtt rr:") {
		t.Errorf("crr alternated, rr not: drift note %q, want one for rr alone", n)
	}
	if n := note(measuresDocument()); !strings.HasPrefix(n, "rtt rr, crr:") {
		t.Errorf("both sequential: drift note %q, want one naming rr and crr", n)
	}
}

func TestReportCPUBreakdownAndCoresPerGbps(t *testing.T) {
	doc := measuresDocument()
	// A second repeat of 0 / 1 stream with a 5-second window and more user
	// time: the merged row weighs each window by its length.
	extra := streamCell("0", results.ArmTarget, 1, rates(1, 5, 10), &results.CPU{Source: "client", User: 2.0, System: 1.0, Softirq: 0.3, CPUs: 4, Duration: 5 * time.Second})
	doc.Cells = append(doc.Cells, extra)
	ct := buildReport(t, doc).CPU
	if len(ct.Rows) != 4 {
		t.Fatalf("%d cpu rows, want 2 steps x 2 stream settings", len(ct.Rows))
	}
	r := ct.Rows[0]
	if r.Label != "0" || r.Measurement != "1 stream send" || r.Side != "client" || r.Repeats != 2 {
		t.Fatalf("first cpu row %+v", r)
	}
	wantUser := (0.5*10 + 2.0*5) / 15
	if math.Abs(r.User-wantUser) > 1e-9 || math.Abs(r.System-1.0) > 1e-9 || math.Abs(r.Softirq-0.3) > 1e-9 {
		t.Errorf("user %.3f system %.3f softirq %.3f; want %.3f, 1, 0.3", r.User, r.System, r.Softirq, wantUser)
	}
	g1 := doc.Cells[0].Throughput.Gbps()
	g2 := extra.Throughput.Gbps()
	wantPer := ((0.5+1.0+0.3)*10 + (2.0+1.0+0.3)*5) / (g1*10 + g2*5)
	if math.Abs(r.CoresPerGbps-wantPer) > 1e-9 {
		t.Errorf("cores per Gbit/s %.4f, want %.4f", r.CoresPerGbps, wantPer)
	}
	if !r.HasCgroup || r.Cgroup <= 0 {
		t.Errorf("pod cgroup CPU missing: %+v", r)
	}
}

func renderReport(t *testing.T, r *Report, f Format) string {
	t.Helper()
	var b bytes.Buffer
	if err := RenderReport(&b, r, f); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.String()
}

func TestRenderReportEveryFormat(t *testing.T) {
	doc := measuresDocument()
	lat := runDocument(80, "", []int{0, 1000}, map[int]time.Duration{1000: 300 * time.Microsecond})
	doc.Cells = append(doc.Cells, lat.Cells...)
	doc.Load = lat.Load
	r := buildReport(t, doc)
	if r.Latency == nil {
		t.Fatal("no latency table")
	}

	text := renderReport(t, r, FormatTable)
	header, rest, _ := strings.Cut(text, "\n")
	if !strings.HasPrefix(header, "Measured: ") {
		t.Errorf("the terminal report does not start by saying what was measured: %q", header)
	}
	if !strings.HasPrefix(rest, string(render(t, r.Latency, FormatTable))) {
		t.Error("the terminal report does not go on with the latency table as Render writes it")
	}
	for _, want := range []string{"Throughput, Gbit/s", "4 streams", "Round trip, µs: p50 / p90 / p99", "Round trip vs 0 policies, µs", "CPU, cores", "softirq", "cores per Gbit/s", "Retransmitted"} {
		if !strings.Contains(text, want) {
			t.Errorf("terminal report lacks %q", want)
		}
	}

	md := renderReport(t, r, FormatMarkdown)
	if !strings.Contains(md, "**Throughput, Gbit/s") || !strings.Contains(md, "| --- |") && !strings.Contains(md, "| --- | ---: |") {
		t.Errorf("markdown report lacks the throughput table:\n%s", md)
	}

	// CSV: the latency records, then one section per measure, each with its
	// own header, separated by blank lines.
	parts := strings.Split(strings.TrimSpace(renderReport(t, r, FormatCSV)), "\n\n")
	if len(parts) != 4 {
		t.Fatalf("%d CSV sections, want latency, throughput, rtt, cpu", len(parts))
	}
	if parts[0]+"\n" != string(render(t, r.Latency, FormatCSV)) {
		t.Error("the CSV's first section is not the latency CSV")
	}
	for i, want := range []struct {
		col  string
		rows int
	}{{"gbps_mean", 4}, {"p50_us", 4}, {"cores_per_gbps", 4}} {
		recs, err := csv.NewReader(strings.NewReader(parts[i+1])).ReadAll()
		if err != nil {
			t.Fatalf("section %d: %v", i+1, err)
		}
		if len(recs) != 1+want.rows {
			t.Errorf("section %d: %d records, want a header and %d", i+1, len(recs), want.rows)
		}
		found := false
		for _, h := range recs[0] {
			found = found || h == want.col
		}
		if !found {
			t.Errorf("section %d header %v lacks %s", i+1, recs[0], want.col)
		}
	}

	var back Report
	if err := json.Unmarshal([]byte(renderReport(t, r, FormatJSON)), &back); err != nil {
		t.Fatal(err)
	}
	if back.Latency == nil || back.Throughput == nil || back.RTT == nil || back.CPU == nil ||
		back.Throughput.Rows[1].Cells[1].Overhead.Percent != r.Throughput.Rows[1].Cells[1].Overhead.Percent ||
		back.RTT.Rows[1].Cells[1].Summary != r.RTT.Rows[1].Cells[1].Summary {
		t.Error("JSON does not carry the report's tables and figures")
	}
}

// -o json has one top level whatever the documents hold: a program reads
// report.latency whether or not throughput was measured.
func TestRenderReportJSONShapeIsStable(t *testing.T) {
	keys := func(r *Report) []string {
		var top map[string]json.RawMessage
		if err := json.Unmarshal([]byte(renderReport(t, r, FormatJSON)), &top); err != nil {
			t.Fatal(err)
		}
		return slices.Sorted(maps.Keys(top))
	}
	latencyOnly := buildReport(t, runDocument(80, "", []int{0, 10}, nil))
	measuresOnly := buildReport(t, measuresDocument())
	want := []string{"cpu", "facts", "latency", "rtt", "throughput"}
	for name, r := range map[string]*Report{"latency only": latencyOnly, "measures only": measuresOnly} {
		if got := keys(r); !slices.Equal(got, want) {
			t.Errorf("%s: top level %v, want %v", name, got, want)
		}
	}
	var back struct{ Latency *Table }
	if err := json.Unmarshal([]byte(renderReport(t, latencyOnly, FormatJSON)), &back); err != nil || back.Latency == nil || len(back.Latency.Rows) != 2 {
		t.Errorf("latency-only JSON does not hold the table under latency: %v", err)
	}
}

func TestBuildReportBadInput(t *testing.T) {
	doc := measuresDocument()
	src := []Source{{Docs: []*results.Document{doc}}}
	var ie *InputError
	if _, err := BuildReport(src, TableOptions{Baseline: "nope"}); !asInput(err, &ie) || ie.Flag != "--baseline" {
		t.Errorf("unknown baseline: %v, want a --baseline input error", err)
	}
	if _, err := BuildReport(src, TableOptions{Arm: "nope"}); !asInput(err, &ie) || ie.Flag != "--arm" {
		t.Errorf("unknown arm: %v, want an --arm input error", err)
	}
	if _, err := BuildReport([]Source{{Docs: []*results.Document{results.New()}}}, TableOptions{}); !asInput(err, &ie) {
		t.Errorf("empty document: %v, want an input error", err)
	}
	r, err := BuildReport(src, TableOptions{Baseline: "1000", Compare: testResamples})
	if err != nil || r.RTT.Baseline != "1000" || r.Throughput.Baseline != "1000" {
		t.Errorf("baseline 1000: %v", err)
	}
}

func asInput(err error, ie **InputError) bool {
	e, ok := err.(*InputError)
	*ie = e
	return ok
}

// compare names a file of streams and round trips by its mesh, as it does a
// file of latency cells.
func TestSourceLabelsOfMeasureDocuments(t *testing.T) {
	a, b := measuresDocument(), measuresDocument()
	for i := range b.Cells {
		b.Cells[i].Mesh = "istio-ambient"
	}
	got := SourceLabels([]string{"x/a.json", "x/b.json"}, []*results.Document{a, b}, nil)
	if got[0] != "none" || got[1] != "istio-ambient" {
		t.Errorf("labels %v, want none and istio-ambient", got)
	}
}
