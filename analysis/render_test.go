package analysis

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

func renderedTable(t *testing.T) *Table {
	t.Helper()
	doc := runDocument(80, "", []int{0, 10, 100}, map[int]time.Duration{100: 50 * time.Microsecond})
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func render(t *testing.T, tab *Table, f Format) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := RenderReport(&b, &Report{Facts: &Facts{}, Latency: tab}, f); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.Bytes()
}

func TestRenderCSVParsesBack(t *testing.T) {
	tab := renderedTable(t)
	recs, err := csv.NewReader(bytes.NewReader(render(t, tab, FormatCSV))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1+len(tab.Rows)*len(tab.Sizes) {
		t.Fatalf("%d records, want a header and one per row and size", len(recs))
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, h := range []string{"row", "size", "p50_ms", "mean_ms", "overhead_median_diff_ms", "overhead_median_significant", "paired_mean_pct"} {
		if _, ok := col[h]; !ok {
			t.Fatalf("csv lacks column %s", h)
		}
	}
	// The last record is 100 policies at 1M: its numbers read back exactly.
	last, cell := recs[len(recs)-1], tab.Rows[2].Cells[1]
	if last[col["row"]] != "100" || last[col["size"]] != "1M" {
		t.Fatalf("last record %v", last[:10])
	}
	if got := backToDuration(t, last[col["p50_ms"]]); got != cell.Summary.P50 {
		t.Errorf("p50 %v, want %v", got, cell.Summary.P50)
	}
	if got := backToDuration(t, last[col["overhead_median_ci_low_ms"]]); got != cell.Overhead.Median.CILow {
		t.Errorf("ci low %v, want %v", got, cell.Overhead.Median.CILow)
	}
	if last[col["overhead_median_significant"]] != strconv.FormatBool(cell.Overhead.Median.Significant) {
		t.Errorf("significance %s", last[col["overhead_median_significant"]])
	}
	if recs[1][col["overhead_median_diff_ms"]] != "" {
		t.Error("the baseline row has an overhead in csv")
	}
}

func backToDuration(t *testing.T, s string) time.Duration {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(math.Round(f * 1e6))
}

func TestRenderJSONParsesBack(t *testing.T) {
	tab := renderedTable(t)
	var doc struct{ Latency Table }
	if err := json.Unmarshal(render(t, tab, FormatJSON), &doc); err != nil {
		t.Fatal(err)
	}
	back := doc.Latency
	if back.Baseline != tab.Baseline || len(back.Rows) != len(tab.Rows) || len(back.NoiseFloor) != len(tab.Sizes) {
		t.Fatalf("json lost structure: %+v", back)
	}
	for r := range tab.Rows {
		for c := range tab.Rows[r].Cells {
			want, got := tab.Rows[r].Cells[c], back.Rows[r].Cells[c]
			if got.Summary != want.Summary {
				t.Errorf("row %d cell %d summary %+v, want %+v", r, c, got.Summary, want.Summary)
			}
			if (want.Overhead == nil) != (got.Overhead == nil) || want.Overhead != nil && *got.Overhead != *want.Overhead {
				t.Errorf("row %d cell %d overhead differs", r, c)
			}
		}
	}
}

func TestRenderMarkdownTables(t *testing.T) {
	tab := renderedTable(t)
	md := string(render(t, tab, FormatMarkdown))
	if !strings.Contains(md, "| policies | .5k | 1M |\n| --- | ---: | ---: |\n| 0 | ") {
		t.Fatalf("markdown lacks the header row:\n%s", md)
	}
	// Every row of a table has as many cells as its header.
	header := 0
	for _, line := range strings.Split(md, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = 0
			continue
		}
		n := strings.Count(strings.ReplaceAll(line, `\|`, ""), "|")
		if header == 0 {
			header = n
		} else if n != header {
			t.Errorf("row with a wrong number of cells (header has %d bars): %s", header, line)
		}
	}
	if !strings.Contains(md, `\*`) || strings.Contains(md, "±0.005*") {
		t.Error("significance stars are not escaped")
	}
}

func TestRenderTextAligned(t *testing.T) {
	tab := renderedTable(t)
	txt := string(render(t, tab, FormatTable))
	for _, want := range []string{"Verdicts rest on the median", "Overhead vs 0 policies, ms: median ± CI", "Overhead vs 0 policies, %: mean [CI]", "Target over control", "A/A noise floor", "baseline", "Verdict by median, target over control at the same step (same window, free of drift):\n  10: no significant difference at any size\n  100: significant at .5k +0.05"} {
		if !strings.Contains(txt, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	// In every block the size columns start at the same offset on each line.
	blocks := strings.Split(txt, "\n\n")
	for _, b := range blocks {
		lines := strings.Split(b, "\n")
		if len(lines) < 3 || !strings.HasPrefix(lines[1], "policies") {
			continue
		}
		at := strings.Index(lines[1], "1M")
		for _, l := range lines[2:] {
			if len(l) > at && l[at-1] != ' ' {
				t.Errorf("misaligned line in %q: %q", lines[0], l)
			}
		}
	}
}

func TestParseFormat(t *testing.T) {
	for in, want := range map[string]Format{"table": FormatTable, "md": FormatMarkdown, "CSV": FormatCSV, "json": FormatJSON} {
		if f, ok := ParseFormat(in); !ok || f != want {
			t.Errorf("ParseFormat(%q) = %q, %v", in, f, ok)
		}
	}
	if _, ok := ParseFormat("yaml"); ok {
		t.Error("yaml accepted")
	}
}

// BenchmarkReportRomanaRun builds and renders the table of a full run:
// 6 steps × 5 sizes × 2 arms × 2,000 samples, 2,000 resamples per interval
// (55 overheads, each by median and by mean).
func BenchmarkReportRomanaRun(b *testing.B) {
	d := results.New()
	seed := uint64(0)
	for _, step := range []int{0, 10, 50, 100, 200, 1000} {
		for _, size := range []int64{512, 1024, 10240, 102400, 1 << 20} {
			for _, arm := range []string{results.ArmTarget, results.ArmControl} {
				seed++
				d.Cells = append(d.Cells, results.Cell{Step: strconv.Itoa(step), Policies: step, Arm: arm, Size: size, SizeLabel: strconv.FormatInt(size, 10),
					Latency: &results.Latency{SamplesNs: latencies(seed, 2000, 700e3+float64(size), 0), Requests: 2000, NewConnections: 2000}})
			}
		}
	}
	src := []Source{{Docs: []*results.Document{d}}}
	for b.Loop() {
		tab, err := BuildTable(src, TableOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if err := RenderReport(io.Discard, &Report{Facts: &Facts{}, Latency: tab}, FormatTable); err != nil {
			b.Fatal(err)
		}
	}
}
