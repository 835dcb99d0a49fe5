package analysis

import (
	"bytes"
	"fmt"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// labRunDocument is shaped like `meshbench run` on the lab: kube-router on
// one node, same-node placement, a target and a control arm per step, the
// target slowing as policies grow while the control does not.
func labRunDocument() *results.Document {
	doc := runDocument(90, "", []int{0, 50, 200}, map[int]time.Duration{50: 20 * time.Microsecond, 200: 60 * time.Microsecond})
	doc.Cluster = &results.Cluster{KubernetesVersion: "v1.36.3", CNI: "kube-router", Placement: "same-node",
		Nodes: []results.Node{{Name: "meshbench-lab", KubeletVersion: "v1.36.3"}}}
	for i := range doc.Cells {
		c := &doc.Cells[i]
		c.Enforcement = &results.Enforcement{Enforced: true, ProbeDenied: c.Policies > 0, ClientAllowed: true,
			After: 140 * time.Millisecond, Applied: c.Policies, ApplyTook: time.Duration(c.Policies) * time.Millisecond}
	}
	return doc
}

func labReport(t *testing.T) *Report {
	t.Helper()
	r, err := BuildReport([]Source{{Docs: []*results.Document{labRunDocument()}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The headline figure is what the verdicts rest on: target over control at
// each step, in ms and in %, with the table's CIs; the drawn image places
// exactly those numbers.
func TestPlotHeadlineIsTargetOverControlOfTheTable(t *testing.T) {
	r := labReport(t)
	figs, err := r.Figures(PlotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head := figs[0]
	for _, want := range []string{"kube-router", "1 node", "same-node", "networkpolicy", "100 req/s", "2000 requests"} {
		if !strings.Contains(head.Title, want) {
			t.Errorf("title %q does not say %q", head.Title, want)
		}
	}
	if len(head.Panels) != 2 || !strings.Contains(head.Panels[0].Title, "Target over control") || head.Panels[1].YLabel != "%" {
		t.Fatalf("headline panels: %+v", head.Panels)
	}
	tab := r.Latency
	text := renderReport(t, r, FormatTable)
	shown := textBlock(t, text, "Target over control at the same step (same window, free of drift), ms: median ± CI")
	for si, size := range tab.Sizes {
		abs, pct := head.Panels[0].Series[si], head.Panels[1].Series[si]
		if abs.Name != size.Label || len(abs.Points) != len(tab.Rows) || len(pct.Points) != len(tab.Rows) {
			t.Fatalf("series %d: %q with %d points, want %s with one per row", si, abs.Name, len(abs.Points), size.Label)
		}
		for ri, row := range tab.Rows {
			d := row.Cells[si].Paired.Median
			p, q := abs.Points[ri], pct.Points[ri]
			if p.Row != row.Label || p.X != float64(row.Policies) || p.Y != msFloat(d.Diff) || p.Lo != msFloat(d.CILow) || p.Hi != msFloat(d.CIHigh) {
				t.Errorf("%s at %s: plotted %+v, table %+v", row.Label, size.Label, p, d)
			}
			if q.Y != d.Percent || q.Lo != d.PercentCILow || q.Hi != d.PercentCIHigh {
				t.Errorf("%s at %s: plotted %+v %%, table %+v", row.Label, size.Label, q, d)
			}
			// What the reader sees in the text table is the same figure.
			if got := shown[row.Label][si]; !strings.HasPrefix(got, fmt.Sprintf("%+.3f ±", p.Y)) {
				t.Errorf("%s at %s: text shows %q, plot %+.3f", row.Label, size.Label, got, p.Y)
			}
		}
	}

	// The real image files: a PNG that decodes, and an SVG whose lines and
	// error bars sit where the series' numbers say.
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "report.png"), filepath.Join(dir, "report.svg")
	for _, p := range []string{pngPath, svgPath} {
		if err := Plot(figs, p); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(f)
	f.Close()
	if err != nil {
		t.Fatalf("png does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 800 || b.Dy() < 2*300 {
		t.Errorf("png is %v for %d figures", b, len(figs))
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	paths := svgPaths(svg)
	drawn, err := drawFigures(io.Discard, figs, "svg")
	if err != nil {
		t.Fatal(err)
	}
	for _, dp := range drawn[:2] { // the headline's two panels
		for _, s := range head.Panels[dp.panel].Series {
			var line [][2]float64
			for _, p := range s.Points {
				line = append(line, [2]float64{dp.x(p.X).Points(), dp.y(p.Y).Points()})
				bar := [][2]float64{{dp.x(p.X).Points(), dp.y(p.Lo).Points()}, {dp.x(p.X).Points(), dp.y(p.Hi).Points()}}
				if !hasPath(paths, bar) {
					t.Errorf("panel %d, %s at %s: no error bar from %v to %v in the SVG", dp.panel, s.Name, p.Row, bar[0], bar[1])
				}
			}
			if !hasPath(paths, line) {
				t.Errorf("panel %d: no line through %s's points %v in the SVG", dp.panel, s.Name, line)
			}
		}
	}
	for _, want := range []string{"Target over control at the same step", ".5k", "1M", "Request duration, control"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if err := Plot(figs, filepath.Join(dir, "t.gif")); err == nil {
		t.Error("a .gif plot was accepted")
	}
}

// The step-0 comparison is an option, and its panels say it includes drift.
func TestPlotAgainstBaselineOnRequest(t *testing.T) {
	r := labReport(t)
	figs, err := r.Figures(PlotOptions{Against: AgainstBaseline})
	if err != nil {
		t.Fatal(err)
	}
	p := figs[0].Panels[0]
	if !strings.Contains(p.Title, "Overhead vs 0 policies") || !strings.Contains(p.Title, "drift") {
		t.Errorf("baseline panel title %q", p.Title)
	}
	last := r.Latency.Rows[2].Cells[0].Overhead.Median
	if got := p.Series[0].Points[2]; got.Y != msFloat(last.Diff) || got.Lo != msFloat(last.CILow) {
		t.Errorf("plotted %+v, table %+v", got, last)
	}
	if got := p.Series[0].Points[0]; got.Y != 0 || got.HasCI {
		t.Errorf("the baseline step is plotted as %+v, want 0", got)
	}

	plain := runDocument(3, "", []int{0, 10}, nil)
	for i := range plain.Cells {
		plain.Cells[i].Arm = "only"
	}
	pr, err := BuildReport([]Source{{Docs: []*results.Document{plain}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	var ie *InputError
	if _, err := pr.Figures(PlotOptions{Against: AgainstControl}); !asInput(err, &ie) || ie.Flag != "--plot-against" {
		t.Errorf("control figures without a control arm: %v, want a --plot-against input error", err)
	}
}

func TestPlotThroughputRTTAndCPU(t *testing.T) {
	r := buildReport(t, measuresDocument())
	figs, err := r.Figures(PlotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range figs {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, ","); got != "throughput,rtt,cpu" {
		t.Fatalf("figures %s, want throughput,rtt,cpu", got)
	}
	crr := -1
	for i, c := range r.RTT.Columns {
		if c.Mode == "crr" {
			crr = i
		}
	}
	want := r.RTT.Rows[1].Cells[crr]
	rtt := figs[1].Panels[1].Series[crr]
	if rtt.Name != "crr" || rtt.Points[1].Y != usFloat(want.Paired.Diff) || rtt.Points[1].Hi != usFloat(want.Paired.CIHigh) {
		t.Errorf("crr series %+v, table %+v", rtt, want.Paired)
	}
	th := figs[0].Panels[0].Series[0].Points[0]
	if c := r.Throughput.Rows[0].Cells[0]; th.Y != c.Gbps || th.Lo != c.GbpsCILow {
		t.Errorf("throughput point %+v, table %+v", th, c)
	}
	if len(figs[2].Panels[0].Series) == 0 || figs[2].Panels[0].Series[0].Points[0].Y != r.CPU.Rows[0].Busy {
		t.Errorf("cpu figure %+v", figs[2].Panels[0])
	}
	if err := Plot(figs, filepath.Join(t.TempDir(), "m.svg")); err != nil {
		t.Fatal(err)
	}
}

// textBlock reads one titled grid of the terminal report: row label to cells.
func textBlock(t *testing.T, text, title string) map[string][]string {
	t.Helper()
	_, after, ok := strings.Cut(text, title+"\n")
	if !ok {
		t.Fatalf("no block %q in:\n%s", title, text)
	}
	rows := map[string][]string{}
	for _, line := range strings.Split(after, "\n")[1:] {
		if strings.TrimSpace(line) == "" {
			break
		}
		cells := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(line), -1)
		rows[cells[0]] = cells[1:]
	}
	return rows
}

var svgPathRE = regexp.MustCompile(`<path d="([^"]+)"`)
var svgPointRE = regexp.MustCompile(`[ML]([-0-9.e]+),([-0-9.e]+)`)

// svgPaths are the vertices of every path of an SVG.
func svgPaths(svg []byte) [][][2]float64 {
	var out [][][2]float64
	for _, m := range svgPathRE.FindAllSubmatch(svg, -1) {
		var pts [][2]float64
		for _, p := range svgPointRE.FindAllSubmatch(m[1], -1) {
			x, _ := strconv.ParseFloat(string(p[1]), 64)
			y, _ := strconv.ParseFloat(string(p[2]), 64)
			pts = append(pts, [2]float64{x, y})
		}
		out = append(out, pts)
	}
	return out
}

// hasPath is true when some path has exactly these vertices, to the SVG's
// five significant digits.
func hasPath(paths [][][2]float64, want [][2]float64) bool {
	for _, p := range paths {
		if len(p) != len(want) {
			continue
		}
		same := true
		for i := range p {
			for k := range 2 {
				same = same && math.Abs(p[i][k]-want[i][k]) <= 0.01*math.Max(1, math.Abs(want[i][k])/100)
			}
		}
		if same {
			return true
		}
	}
	return false
}

// A comparison of runs over policy counts draws each run as a line of its
// own over the counts, never joining one run's last step to the next run's
// first.
func TestPlotComparisonDrawsALinePerRun(t *testing.T) {
	same, cross := labRunDocument(), labRunDocument()
	r, err := BuildReport([]Source{{Label: "same-node", Docs: []*results.Document{same}}, {Label: "cross-node", Docs: []*results.Document{cross}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	figs, err := r.Figures(PlotOptions{})
	if err != nil {
		t.Fatal(err)
	}
	abs := figs[0].Panels[0]
	if abs.XLabel != "policies" || len(abs.Ticks) != 0 {
		t.Errorf("x axis %q with ticks %v: want policy counts", abs.XLabel, abs.Ticks)
	}
	runs := map[string]bool{}
	for _, s := range abs.Series {
		for _, run := range []string{"same-node", "cross-node"} {
			if strings.HasPrefix(s.Name, run+" ") {
				runs[run] = true
			}
		}
		for i := 1; i < len(s.Points); i++ {
			if s.Points[i].X <= s.Points[i-1].X {
				t.Errorf("series %s goes back from x=%g to x=%g: two runs joined in one line", s.Name, s.Points[i-1].X, s.Points[i].X)
			}
		}
	}
	if len(runs) != 2 {
		t.Errorf("series %v: want a line per run", abs.Series)
	}
}
