package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/results"
)

// runResultsCLI runs a command line and returns its exit code, stdout and stderr.
func runResultsCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	capture := func(f **os.File) func() string {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		old := *f
		*f = w
		done := make(chan string)
		go func() {
			var b bytes.Buffer
			io.Copy(&b, r)
			done <- b.String()
		}()
		return func() string { w.Close(); *f = old; return <-done }
	}
	stdout, stderr := capture(&os.Stdout), capture(&os.Stderr)
	code := execute(context.Background(), args)
	return code, stdout(), stderr()
}

// writeRunDocument writes a document with a target and a control arm at
// steps 0 and 100 and two sizes; the target is 100 µs slower at step 100.
func writeRunDocument(t *testing.T, dir, name, mesh string, seed uint64) string {
	t.Helper()
	d := results.New()
	d.Load = results.Load{Rate: 100, Requests: 500}
	rng := rand.New(rand.NewPCG(seed, 1))
	for _, step := range []string{"0", "100"} {
		for _, size := range []int64{512, 10240} {
			for _, arm := range []string{results.ArmTarget, results.ArmControl} {
				s := make([]int64, 500)
				for i := range s {
					s[i] = 700_000 + rng.Int64N(60_000)
					if step == "100" && arm == results.ArmTarget {
						s[i] += 100_000
					}
				}
				d.Cells = append(d.Cells, results.Cell{Mesh: mesh, Step: step, Arm: arm, Size: size, SizeLabel: map[int64]string{512: ".5k", 10240: "10k"}[size],
					Latency: &results.Latency{SamplesNs: s, Requests: 500, NewConnections: 500, Rate: 100, AchievedRate: 100}})
			}
		}
	}
	p := filepath.Join(dir, name)
	if err := d.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportRendersEveryFormat(t *testing.T) {
	p := writeRunDocument(t, t.TempDir(), "run.json", "", 1)
	code, out, errOut := runResultsCLI(t, "report", p, "--resamples", "200", "--reference", "romana")
	if code != 0 || !strings.Contains(out, "Overhead vs 0 policies, ms: median ± CI") || !strings.Contains(out, "+0.1") || !strings.Contains(out, "0.783 (+7.0%)") {
		t.Fatalf("report: exit %d, stderr %q, stdout:\n%s", code, errOut, out)
	}
	code, out, _ = runResultsCLI(t, "report", p, "-o", "csv", "--resamples", "200")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 5 {
		t.Fatalf("csv: exit %d, %v, %d records", code, err, len(recs))
	}
	code, out, _ = runResultsCLI(t, "report", p, "-o", "json", "--resamples", "200", "--statistic", "mean")
	var report struct {
		Latency struct {
			Statistic string
			Rows      []struct{ Label string }
		}
	}
	if tab := &report.Latency; code != 0 || json.Unmarshal([]byte(out), &report) != nil || tab.Statistic != "mean" || len(tab.Rows) != 2 {
		t.Fatalf("json: exit %d, %+v", code, tab)
	}
	img := filepath.Join(t.TempDir(), "table.svg")
	code, out, _ = runResultsCLI(t, "report", p, "-o", "markdown", "--resamples", "200", "--plot", img)
	if code != 0 || !strings.Contains(out, "| policies | .5k | 10k |") {
		t.Fatalf("markdown: exit %d:\n%s", code, out)
	}
	if svg, err := os.ReadFile(img); err != nil || !bytes.Contains(svg, []byte("<svg")) {
		t.Fatalf("--plot %s: %v", img, err)
	}
}

func TestCompareRendersConfigurations(t *testing.T) {
	dir := t.TempDir()
	a := writeRunDocument(t, dir, "a.json", "none", 1)
	b := writeRunDocument(t, dir, "b.json", "istio-ambient", 2)
	code, out, errOut := runResultsCLI(t, "compare", a, b, "--resamples", "200", "-o", "markdown")
	if code != 0 || !strings.Contains(out, "| configuration | .5k | 10k |") || !strings.Contains(out, "| istio-ambient / 100 |") {
		t.Fatalf("compare: exit %d, stderr %q:\n%s", code, errOut, out)
	}
	code, out, errOut = runResultsCLI(t, "compare", a, b, "--resamples", "200", "-o", "html")
	if code != 0 || !strings.HasPrefix(out, "<!DOCTYPE html>") || !strings.Contains(out, "<h3>istio-ambient</h3>") ||
		!strings.Contains(out, "<svg") || !strings.Contains(out, "istio-ambient / 100: at .5k the median request took") {
		t.Fatalf("compare -o html: exit %d, stderr %q:\n%s", code, errOut, out)
	}
	code, out, _ = runResultsCLI(t, "compare", "--label", "plain", "--label", "mesh", a, b, "--resamples", "200", "--baseline", "mesh")
	if code != 0 || !strings.Contains(out, "overhead against mesh / 0") {
		t.Fatalf("compare --label --baseline: exit %d:\n%s", code, out)
	}
}

func TestReportCompareBadInputExitTwo(t *testing.T) {
	dir := t.TempDir()
	good := writeRunDocument(t, dir, "good.json", "", 1)
	notJSON := filepath.Join(dir, "notjson.json")
	os.WriteFile(notJSON, []byte("hello\n"), 0o644)
	wrongKind := filepath.Join(dir, "kind.json")
	os.WriteFile(wrongKind, []byte(`{"kind":"v1/Pod","schemaVersion":1}`), 0o644)
	future := filepath.Join(dir, "future.json")
	os.WriteFile(future, []byte(`{"kind":"meshbench.io/results","schemaVersion":99}`), 0o644)
	empty := filepath.Join(dir, "empty.json")
	results.New().WriteFile(empty)

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report"}, "want one or more results files"},
		{[]string{"report", filepath.Join(dir, "missing.json")}, "no such file"},
		{[]string{"report", notJSON}, "not a meshbench results document"},
		{[]string{"report", wrongKind}, `kind "v1/Pod"`},
		{[]string{"report", future}, "schema version 99"},
		{[]string{"report", empty}, "no latency measurements"},
		{[]string{"report", good, "-o", "yaml"}, "--output \"yaml\""},
		{[]string{"report", good, "--statistic", "mode"}, "--statistic"},
		{[]string{"report", good, "--baseline", "7"}, "--baseline \"7\": no such row"},
		{[]string{"report", good, "--arm", "probe"}, "--arm \"probe\""},
		{[]string{"report", good, "--confidence", "95"}, "--confidence"},
		{[]string{"report", good, "--resamples", "x"}, "resamples"},
		{[]string{"report", good, "--plot", "out.gif"}, "--plot \"out.gif\""},
		{[]string{"report", good, "--reference", "calico"}, "--reference \"calico\": want one of romana"},
		{[]string{"compare", good}, "want two or more results files"},
		{[]string{"compare", good, notJSON}, "notjson.json"},
		{[]string{"compare", "--label", "a", "--label", "b", "--label", "c", good, good}, "--label"},
		{[]string{"compare", good, good, "--baseline", "nope"}, "--baseline"},
	} {
		code, out, errOut := runResultsCLI(t, c.args...)
		if code != 2 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || out != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %d bytes; want exit 2 and one line with %q", c.args, code, errOut, len(out), c.want)
		}
	}
}
