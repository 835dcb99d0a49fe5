package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// drifted shifts both arms of every cell: the machine got slower between
// runs, which is not a cost of anything the run applied.
func drifted(d *results.Document, by time.Duration) *results.Document {
	for i := range d.Cells {
		s := d.Cells[i].Latency.SamplesNs
		for j := range s {
			s[j] += int64(by)
		}
	}
	return d
}

func verdictSection(t *testing.T, text string) string {
	t.Helper()
	_, after, ok := strings.Cut(text, "Verdict by ")
	if !ok {
		t.Fatalf("no verdict in:\n%s", text)
	}
	v, _, _ := strings.Cut(after, "\n\n")
	return "Verdict by " + v
}

// Four runs of one study taken apart in time: each file's paired figure
// says nothing changed, while the rows drifted between the runs. The
// verdict must follow the paired figure and never call drift a cost.
func TestCompareVerdictRestsOnThePairedFigure(t *testing.T) {
	var sources []Source
	for i, name := range []string{"ports", "peers", "ipblock", "namespace"} {
		d := drifted(runDocument(uint64(1000*i+7), "", []int{0}, nil), time.Duration(i)*150*time.Microsecond)
		sources = append(sources, Source{Label: name, Docs: []*results.Document{d}})
	}
	r, err := BuildReport(sources, TableOptions{Compare: testResamples, Baseline: "ports"})
	if err != nil {
		t.Fatal(err)
	}
	if o := r.Latency.Rows[3].Cells[0].Overhead.Median; !o.Significant {
		t.Fatalf("the test's drift is not visible across windows: %+v", o)
	}
	v := verdictSection(t, renderReport(t, r, FormatTable))
	if !strings.HasPrefix(v, "Verdict by median, target over control at the same step (same window") {
		t.Errorf("verdict does not rest on the paired figure:\n%s", v)
	}
	if strings.Contains(v, "significant at") {
		t.Errorf("verdict calls drift between runs a cost:\n%s", v)
	}
	if !strings.Contains(v, "namespace: no significant difference at any size") {
		t.Errorf("verdict lacks the namespace run's paired result:\n%s", v)
	}
}

func TestReportVerdictRestsOnThePairedFigure(t *testing.T) {
	r := labReport(t)
	v := verdictSection(t, renderReport(t, r, FormatTable))
	want := r.Latency.Rows[2].Cells[0].Paired.Median
	if !strings.Contains(v, "200: significant at .5k "+signedMs(want.Diff)+" ms") {
		t.Errorf("verdict at 200 policies is not the paired figure %s:\n%s", signedMs(want.Diff), v)
	}
	if strings.Contains(v, "\n  0:") {
		t.Errorf("the baseline step has a verdict besides its noise floor:\n%s", v)
	}
}

// Without a control arm the only figure is across windows, and the verdict
// says so; rows of another file say they are another run.
func TestVerdictAcrossWindowsSaysSo(t *testing.T) {
	plain := func(seed uint64) *results.Document {
		d := runDocument(seed, "", []int{0, 10}, map[int]time.Duration{10: 80 * time.Microsecond})
		var cells []results.Cell
		for _, c := range d.Cells {
			if c.Arm == results.ArmTarget {
				cells = append(cells, c)
			}
		}
		d.Cells = cells
		return d
	}
	r, err := BuildReport([]Source{{Label: "a", Docs: []*results.Document{plain(1)}}, {Label: "b", Docs: []*results.Document{plain(2)}}},
		TableOptions{Compare: testResamples, Baseline: "a"})
	if err != nil {
		t.Fatal(err)
	}
	v := verdictSection(t, renderReport(t, r, FormatTable))
	if !strings.Contains(v, "measured in another window") || !strings.Contains(v, "includes any drift") {
		t.Errorf("cross-window verdict does not say so:\n%s", v)
	}
	if !strings.Contains(v, "b / 0 (another run: across windows):") || strings.Contains(v, "a / 10 (another run") {
		t.Errorf("rows of another run are not labelled as such:\n%s", v)
	}
}

// compare says why a file's rows are missing, and a table that compared
// nothing does not explain significance marks.
func TestCompareSaysWhatIsShownAndWhy(t *testing.T) {
	run := runDocument(5, "", []int{0, 10}, nil)
	load := runDocument(6, "", []int{0}, nil)
	for i := range load.Cells {
		load.Cells[i].Arm = map[string]string{results.ArmTarget: "a", results.ArmControl: "b"}[load.Cells[i].Arm]
	}
	r, err := BuildReport([]Source{{Label: "run", Docs: []*results.Document{run}}, {Label: "load", Docs: []*results.Document{load}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	text := renderReport(t, r, FormatTable)
	if !strings.Contains(text, `load: not shown: its latency cells have no "target" arm (its arms: a, b); --arm all shows every arm`) {
		t.Errorf("the dropped file is not named:\n%s", text)
	}

	one := runDocument(7, "", []int{0}, nil)
	var cells []results.Cell
	for _, c := range one.Cells {
		if c.Arm == results.ArmControl {
			cells = append(cells, c)
		}
	}
	one.Cells = cells
	r, err = BuildReport([]Source{{Docs: []*results.Document{one}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	text = renderReport(t, r, FormatTable)
	if strings.Contains(text, "CI excludes 0") || strings.Contains(text, "Verdict by") {
		t.Errorf("a table that compared nothing explains significance:\n%s", text)
	}
	if !strings.Contains(text, "control arm") || !strings.Contains(text, "the rows show the control") {
		t.Errorf("a control-only table does not say it shows the control:\n%s", text)
	}
}
