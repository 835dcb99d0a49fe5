package analysis

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// runDocument is a document shaped like `meshbench run`: per step and size a
// target and a control cell. The target slows by shiftPerStep[step]; the
// control never does.
func runDocument(seed uint64, mesh string, steps []int, shift map[int]time.Duration) *results.Document {
	d := results.New()
	d.Load = results.Load{Rate: 100, Requests: 2000, Warmup: 50, Rounds: 3}
	sizes := []struct {
		b int64
		l string
		m float64
	}{{512, ".5k", 700e3}, {1 << 20, "1M", 9e6}}
	for _, st := range steps {
		for _, sz := range sizes {
			for _, arm := range []string{results.ArmTarget, results.ArmControl} {
				seed++
				var sh time.Duration
				if arm == results.ArmTarget {
					sh = shift[st]
				}
				s := latencies(seed, 2000, sz.m, float64(sh))
				d.Cells = append(d.Cells, results.Cell{
					Mesh: mesh, Step: itoa(st), Policies: st, PolicyKind: "networkpolicy", Arm: arm,
					Size: sz.b, SizeLabel: sz.l,
					Latency: &results.Latency{SamplesNs: s, Requests: 2000, NewConnections: 2000, Rate: 100, AchievedRate: 99.9},
				})
			}
		}
	}
	return d
}

func itoa(i int) string { return strconv.Itoa(i) }

func TestTableRowsColumnsOverheads(t *testing.T) {
	doc := runDocument(10, "", []int{200, 0, 10}, map[int]time.Duration{10: 5 * time.Microsecond, 200: 60 * time.Microsecond})
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range tab.Rows {
		labels = append(labels, r.Label)
	}
	if got := strings.Join(labels, ","); got != "0,10,200" {
		t.Fatalf("rows %s, want 0,10,200 (numeric step order)", got)
	}
	if len(tab.Sizes) != 2 || tab.Sizes[0].Label != ".5k" || tab.Sizes[1].Bytes != 1<<20 {
		t.Fatalf("sizes %+v", tab.Sizes)
	}
	if tab.RowTitle != "policies" || tab.Baseline != "0" || !tab.Rows[0].Baseline || tab.Arm != "target" {
		t.Fatalf("table %s/%s/%s", tab.RowTitle, tab.Baseline, tab.Arm)
	}
	base := tab.Rows[0].Cells[0]
	if base.Overhead != nil {
		t.Error("baseline row has an overhead against itself")
	}
	c := tab.Rows[2].Cells[0] // 200 policies, .5k
	want := Summarize(doc.Cells[0].Latency.SamplesNs)
	if tab.Rows[2].Cells[0].Summary != want {
		t.Errorf("200/.5k summary %+v, want the target cell's %+v", c.Summary, want)
	}
	m := c.Overhead.Median
	if !m.Significant || m.CILow > 60*time.Microsecond || m.CIHigh < 60*time.Microsecond {
		t.Errorf("200 vs 0 median overhead %+v should find the 60 µs shift", m)
	}
	if m.Base != base.Summary.P50 || m.Other != c.Summary.P50 {
		t.Errorf("overhead compares %v to %v, want the cells' medians %v and %v", m.Other, m.Base, c.Summary.P50, base.Summary.P50)
	}
	if c.Paired == nil || !c.Paired.Median.Significant {
		t.Errorf("200 target over control: %+v, want a significant difference", c.Paired)
	}
	if tab.NoiseFloor == nil || tab.NoiseFloor[0].Median.Significant {
		t.Errorf("A/A noise floor at step 0 should include 0: %+v", tab.NoiseFloor)
	}
	if d := tab.Rows[1].Cells[1].Overhead.Median; d.Significant {
		t.Logf("10 policies at 1M flagged significant (5 µs on 9 ms): %+v", d)
	}
}

func TestTableBaselineArmAndStatistic(t *testing.T) {
	doc := runDocument(20, "", []int{0, 10}, map[int]time.Duration{10: 50 * time.Microsecond})
	src := []Source{{Docs: []*results.Document{doc}}}
	tab, err := BuildTable(src, TableOptions{Baseline: "10", Arm: "control", Statistic: Mean, Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Baseline != "10" || !tab.Rows[1].Baseline || tab.Rows[0].Cells[0].Overhead == nil || tab.Rows[0].Cells[0].Paired != nil {
		t.Fatalf("baseline 10, arm control: %+v", tab.Rows[0])
	}
	if tab.Rows[0].Arm != "control" || tab.Statistic != Mean {
		t.Fatalf("arm %s statistic %s", tab.Rows[0].Arm, tab.Statistic)
	}
	for _, o := range []TableOptions{{Baseline: "7"}, {Arm: "probe"}, {Statistic: "mode"}} {
		_, err := BuildTable(src, o)
		if ie, ok := err.(*InputError); !ok || ie.Flag == "" {
			t.Errorf("%+v: error %v, want an InputError naming the flag", o, err)
		}
	}
	if _, err := BuildTable([]Source{{Docs: []*results.Document{results.New()}}}, TableOptions{Compare: testResamples}); err == nil {
		t.Error("a document without latency cells built a table")
	}
}

func TestTableFlagsCells(t *testing.T) {
	doc := runDocument(30, "", []int{0, 10}, nil)
	for i := range doc.Cells {
		c := &doc.Cells[i]
		if c.Arm == "target" {
			c.Enforcement = &results.Enforcement{Enforced: c.Step == "0", ClientAllowed: true, Applied: c.Policies, After: 1300 * time.Millisecond}
		}
		if c.Step == "10" && c.Arm == "target" && c.Size == 512 {
			c.Latency.Behind, c.Latency.AchievedRate = true, 71.5
		}
		if c.Step == "0" && c.Arm == "control" && c.Size == 512 {
			c.Latency.Errors = map[string]int{"status 503": 1}
		}
		if c.Step == "10" && c.Arm == "target" && c.Size == 1<<20 {
			c.Latency.Errors = map[string]int{"timeout": 3}
			c.Latency.NewConnections = 1500
		}
	}
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	behind, errs := tab.Rows[1].Cells[0], tab.Rows[1].Cells[1]
	if c := tab.Rows[0].Cells[1]; c.Overhead != nil || !c.Reported() {
		t.Errorf("baseline cell: %+v", c)
	}
	if behind.Reported() || behind.Flags[0] != FlagBehind {
		t.Errorf("behind cell: %+v", behind.Flags)
	}
	if !errs.Reported() || strings.Join(errs.Flags, ",") != "errors,unenforced,connections" {
		t.Errorf("error cell flags %v", errs.Flags)
	}
	var text strings.Builder
	if err := RenderReport(&text, &Report{Facts: &Facts{}, Latency: tab}, FormatTable); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	for _, want := range []string{"behind", "3 (3 timeout) of 2000 requests failed", "fell behind (71.5 of 100 req/s)", "only 1500 new connections", " !", "0 (control) at .5k: 1 (1 status 503)",
		"0: 0 objects applied in 0.00 s, enforced 1.30 s after the apply", "10: 10 objects applied in 0.00 s, NOT confirmed (probe denied: false, client allowed: true)",
		"10 at 1M: enforcement was not confirmed", "; not reported at .5k (see notes)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestTableMergesFilesAndComparesSources(t *testing.T) {
	a := runDocument(40, "", []int{0}, nil)
	b := runDocument(50, "", []int{10}, map[int]time.Duration{10: 40 * time.Microsecond})
	tab, err := BuildTable([]Source{{Docs: []*results.Document{a, b}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 2 || tab.Rows[1].Cells[0].Overhead == nil {
		t.Fatalf("two files of one run should merge into rows 0 and 10: %+v", tab.Rows)
	}
	if strings.Contains(strings.Join(tab.Notes, "\n"), "differ in load settings") {
		t.Errorf("same load settings noted as different: %v", tab.Notes)
	}
	faster := runDocument(55, "", []int{10}, nil)
	faster.Load.Rate = 200
	tab, _ = BuildTable([]Source{{Docs: []*results.Document{a, faster}}}, TableOptions{Compare: testResamples})
	if !strings.Contains(strings.Join(tab.Notes, "\n"), "differ in load settings") || len(tab.Load) != 2 {
		t.Errorf("documents at 100 and 200 req/s merged without a note: %v %v", tab.Load, tab.Notes)
	}
	// The same step in two files: samples concatenate.
	tab, _ = BuildTable([]Source{{Docs: []*results.Document{a, a}}}, TableOptions{Compare: testResamples})
	if n := tab.Rows[0].Cells[0].Summary.N; n != 4000 {
		t.Errorf("merged cell has %d samples, want 4000", n)
	}

	none := runDocument(60, "none", []int{0}, nil)
	mesh := runDocument(70, "istio-ambient", []int{0}, map[int]time.Duration{0: 80 * time.Microsecond})
	tab, err = BuildTable([]Source{{Label: "plain", Docs: []*results.Document{none}}, {Label: "ambient", Docs: []*results.Document{mesh}}}, TableOptions{Baseline: "plain", Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	if tab.RowTitle != "configuration" || tab.Rows[0].Label != "plain" || tab.Rows[1].Label != "ambient" {
		t.Fatalf("compare rows: %s %q %q", tab.RowTitle, tab.Rows[0].Label, tab.Rows[1].Label)
	}
	if d := tab.Rows[1].Cells[0].Overhead.Median; !d.Significant || d.Diff < 50*time.Microsecond {
		t.Errorf("ambient vs plain: %+v", d)
	}
	if !strings.Contains(strings.Join(tab.Notes, "\n"), "different windows") {
		t.Errorf("notes do not warn about windows: %v", tab.Notes)
	}
}

// A plain load document: arms are target names, every arm is a row.
func TestTableOfPlainLoad(t *testing.T) {
	d := results.New()
	d.Load = results.Load{Rate: 100, Requests: 1000}
	for i, arm := range []string{"fast", "slow"} {
		d.Cells = append(d.Cells, results.Cell{Arm: arm, Size: 512, SizeLabel: ".5k",
			Latency: &results.Latency{SamplesNs: latencies(uint64(i), 1000, 700e3, float64(i)*100e3), Requests: 1000, NewConnections: -1}})
	}
	tab, err := BuildTable([]Source{{Docs: []*results.Document{d}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	if tab.RowTitle != "target" || tab.Rows[0].Label != "fast" || tab.Rows[1].Label != "slow" || tab.Baseline != "fast" {
		t.Fatalf("plain load rows: %s %+v baseline %s", tab.RowTitle, tab.Rows, tab.Baseline)
	}
	if d := tab.Rows[1].Cells[0].Overhead.Median; !d.Significant {
		t.Errorf("slow vs fast: %+v", d)
	}
}

// A plain load with arms named target and control (different servers on
// purpose): the paired figure is reported, but it is no A/A noise floor, and
// --arm all shows both arms as rows.
func TestTablePlainLoadTargetControl(t *testing.T) {
	d := results.New()
	for i, arm := range []string{results.ArmControl, results.ArmTarget} {
		d.Cells = append(d.Cells, results.Cell{Arm: arm, Size: 512, SizeLabel: ".5k",
			Latency: &results.Latency{SamplesNs: latencies(uint64(i), 1000, 700e3, float64(i)*100e3), Requests: 1000, NewConnections: 1000}})
	}
	src := []Source{{Docs: []*results.Document{d}}}
	tab, err := BuildTable(src, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	if len(tab.Rows) != 1 || tab.Rows[0].Cells[0].Paired == nil || !tab.Rows[0].Cells[0].Paired.Median.Significant {
		t.Fatalf("target row with its paired difference: %+v", tab.Rows)
	}
	if tab.NoiseFloor != nil {
		t.Error("a plain load's target/control difference was called an A/A noise floor")
	}
	tab, err = BuildTable(src, TableOptions{Arm: ArmAll, Compare: testResamples})
	if err != nil || len(tab.Rows) != 2 || tab.Rows[1].Label != "target" || tab.Rows[1].Cells[0].Overhead == nil {
		t.Fatalf("--arm all: %v %+v", err, tab)
	}
}

// testResamples keeps table tests quick; the bootstrap itself is tested at
// the default count in bootstrap_test.go.
var testResamples = []Option{WithResamples(500)}

// A cell where every request failed is flagged and not reported, and every
// format still renders (no NaN in json, no panic).
func TestTableEmptyCellRendersEverywhere(t *testing.T) {
	doc := runDocument(35, "", []int{0, 10}, nil)
	for i := range doc.Cells {
		if c := &doc.Cells[i]; c.Step == "10" && c.Size == 512 {
			c.Latency.SamplesNs, c.Latency.Errors = nil, map[string]int{"connection refused": 2000}
		}
	}
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	c := tab.Rows[1].Cells[0]
	if c.Reported() || !slices.Contains(c.Flags, FlagEmpty) || c.Overhead.Median.Valid() {
		t.Fatalf("empty cell: %+v", c)
	}
	for _, f := range Formats {
		var b strings.Builder
		if err := RenderReport(&b, &Report{Facts: &Facts{}, Latency: tab}, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		if f == FormatTable && !strings.Contains(b.String(), "10 at .5k: no successful requests") {
			t.Errorf("table does not explain the empty cell:\n%s", b.String())
		}
	}
	r := &Report{Facts: buildFacts(nil), Latency: tab}
	figs, err := r.Figures(PlotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Plot(figs, t.TempDir()+"/empty.png"); err != nil {
		t.Error(err)
	}
}
