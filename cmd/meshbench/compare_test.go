package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/internal/loopbacktest"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// compareTestServer runs a meshbench server with a per-request delay on
// loopback until the test ends.
func compareTestServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	srv := loadgen.NewServer(loadgen.WithDelay(delay))
	return "http://" + loopbacktest.Serve(t, func(ctx context.Context, ln net.Listener) { srv.Serve(ctx, ln) })
}

// Two real loopback runs, one whose target answers 1 ms later, compared
// side by side in every format. Each run alternates its target with a
// control server in the same window, as meshbench run does.
func TestCompareTwoLoopbackRuns(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 1,200 requests on loopback; skipped with -short")
	}
	dir := t.TempDir()
	plain, control, slow := compareTestServer(t, 0), compareTestServer(t, 0), compareTestServer(t, time.Millisecond)
	files := map[string]string{"plain": plain, "slow": slow}
	for name, target := range files {
		path := filepath.Join(dir, name+".json")
		// What is under test is compare, not this machine's pace: a run
		// whose client fell behind its rate (a busy CI machine stalls it)
		// has no reported cell, so it is measured again, at most thrice.
		for attempt := 1; ; attempt++ {
			code, _, errOut := runResultsCLI(t, "load", "--target", "target="+target, "--target", "control="+control,
				"--sizes", ".5k", "--requests", "300", "--rate", "200", "--warmup", "10", "-o", path)
			if code != 0 {
				t.Fatalf("load %s: exit %d: %s", name, code, errOut)
			}
			if !fellBehind(t, path) || attempt == 3 {
				break
			}
			t.Logf("load %s: a cell fell behind its rate (attempt %d); measuring again", name, attempt)
		}
		files[name] = path
	}
	args := []string{"compare", files["plain"], files["slow"], "--label", "plain", "--label", "slow", "--resamples", "500"}

	code, out, errOut := runResultsCLI(t, append(args, "-o", "json")...)
	var report struct {
		Latency struct {
			RowTitle, Baseline string
			Rows               []struct {
				Label string
				Cells []struct {
					Overhead *struct {
						Median struct{ DiffNs, CILowNs int64 }
					}
					Paired *struct{ Median struct{ Significant bool } }
				}
			}
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &report) != nil {
		t.Fatalf("json: exit %d, stderr %q", code, errOut)
	}
	tab := report.Latency
	if tab.RowTitle != "configuration" || tab.Baseline != "plain" || len(tab.Rows) != 2 || tab.Rows[1].Label != "slow" {
		t.Fatalf("rows: %+v", tab)
	}
	over := tab.Rows[1].Cells[0].Overhead.Median
	t.Logf("slow vs plain: median %+v ns", over)
	if over.CILowNs <= 0 || time.Duration(over.DiffNs) < 700*time.Microsecond || time.Duration(over.DiffNs) > 2*time.Millisecond {
		t.Errorf("a 1 ms server delay measured as %v (CI low %v)", time.Duration(over.DiffNs), time.Duration(over.CILowNs))
	}
	if p := tab.Rows[1].Cells[0].Paired; p == nil {
		t.Errorf("the slow run has no target-over-control figure (its control cell fell behind the rate? stderr %q)", errOut)
	} else if !p.Median.Significant {
		t.Error("the slow run's target over its control is not significant")
	}

	code, out, _ = runResultsCLI(t, append(args, "-o", "csv")...)
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || err != nil || len(recs) != 3 || recs[1][0] != "plain" || recs[2][0] != "slow" {
		t.Fatalf("csv: exit %d, %v, %v", code, err, recs)
	}
	code, out, _ = runResultsCLI(t, append(args, "-o", "markdown")...)
	if code != 0 || !strings.Contains(out, "| configuration | .5k |\n| --- | ---: |\n| plain |") {
		t.Fatalf("markdown: exit %d:\n%s", code, out)
	}
	code, out, _ = runResultsCLI(t, append(args, "-o", "table")...)
	if code != 0 || !strings.Contains(out, "Overhead vs plain, ms: median ± CI") || !strings.Contains(out, "slow: significant at .5k +") {
		t.Fatalf("table: exit %d:\n%s", code, out)
	}
}

// fellBehind reports whether a results document has a cell whose client
// could not keep the asked rate.
func fellBehind(t *testing.T, path string) bool {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc results.Document
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, c := range doc.Cells {
		if c.Latency != nil && c.Latency.Behind {
			return true
		}
	}
	return false
}
