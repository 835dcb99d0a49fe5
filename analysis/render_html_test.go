package analysis

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// chromium returns the headless browser, or skips the test where it is not
// installed (except in CI, where the browser test must run).
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "chromium is not installed (Debian package chromium; hack/install-deps.sh installs it): the HTML report is not checked in a browser"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// browse loads page in headless Chromium and returns the DOM as the browser
// built it and the console messages the page produced. The flags keep the
// browser off the network (it hangs on a closed one otherwise).
func browse(t *testing.T, bin, page string) (dom string, console []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), "--enable-logging=stderr", "--v=0", "--dump-dom", "file://"+page)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, errOut.String())
	}
	for _, l := range strings.Split(errOut.String(), "\n") {
		if strings.Contains(l, ":CONSOLE") {
			console = append(console, l)
		}
	}
	return out.String(), console
}

// A reader opens `report -o html` in a browser: the facts, the verdicts in
// words, every figure drawn, every table with the report's numbers, and
// nothing the page tried to load from elsewhere or complained about.
func TestHTMLReportInChromium(t *testing.T) {
	bin := chromium(t)
	doc := labRunDocument()
	doc.Cells = append(doc.Cells, measuresDocument().Cells...)
	r, err := BuildReport([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderReport(&b, r, FormatHTML); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(page, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	// Self-contained: no script, stylesheet, image or frame from anywhere.
	if m := regexp.MustCompile(`(?i)<(script|link|img|iframe)\b|(src|href)\s*=|@import|url\(`).Find(b.Bytes()); m != nil {
		t.Errorf("the page loads an outside resource: %q", m)
	}

	dom, console := browse(t, bin, page)
	if len(console) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(console, "\n"))
	}
	figs, _ := r.Figures(PlotOptions{})
	if got := strings.Count(dom, "<svg"); got != len(figs) {
		t.Errorf("%d svg figures in the page, want %d", got, len(figs))
	}
	for _, want := range []string{"kube-router", "v1.36.3", "same-node", "meshbench-lab", "100 req/s per target",
		"Verdicts", "200: at .5k the median request took", "than the control server measured at the same moment",
		"Enforcement", "Flags explained", "behind", "Throughput, Gbit/s", "Round trip, µs", "CPU, cores"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page does not show %q", want)
		}
	}
	// Every cell of every table of the view is a cell of the page.
	cells := map[string]bool{}
	for _, m := range regexp.MustCompile(`<t[dh][^>]*>([^<]*)</t[dh]>`).FindAllStringSubmatch(dom, -1) {
		cells[strings.TrimSpace(m[1])] = true
	}
	n := 0
	for _, s := range r.View().Sections {
		for _, g := range s.Grids {
			for _, row := range g.Rows {
				for _, c := range row {
					n++
					if !cells[c] {
						t.Errorf("%s: %q is not a cell of the page", g.Title, c)
					}
				}
			}
		}
	}
	if n < 50 {
		t.Errorf("only %d cells checked", n)
	}
	paired := r.Latency.Rows[2].Cells[0].Paired.Median
	if want := diffMs(paired); !cells[want] {
		t.Errorf("the paired figure at 200 policies, .5k (%s) is not in the page", want)
	}
}

// The console check sees what a broken page would log: the test above
// cannot pass by not looking.
func TestChromiumConsoleIsRead(t *testing.T) {
	bin := chromium(t)
	page := filepath.Join(t.TempDir(), "broken.html")
	os.WriteFile(page, []byte(`<!DOCTYPE html><html><body><script>console.error("broken page")</script></body></html>`), 0o644)
	if _, console := browse(t, bin, page); len(console) == 0 || !strings.Contains(console[0], "broken page") {
		t.Errorf("console messages %q, want the page's error", console)
	}
}
