package analysis

import (
	"context"
	"math"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/cpu"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// startStreamServer runs a real stream server on a free loopback port until
// the test ends.
func startStreamServer(t *testing.T, delay time.Duration) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := loadgen.NewStreamServer(loadgen.WithStreamDelay(delay))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return ln.Addr().String()
}

// measureStep runs real streams and round trips against target the way a
// run's client does, labelled as step.
func measureStep(t *testing.T, target, step string) []results.Cell {
	t.Helper()
	ctx := context.Background()
	var cells []results.Cell
	opts := &cpu.Options{Source: "client", Interval: 250 * time.Millisecond}
	for _, p := range []int{1, 2} {
		c, err := loadgen.Stream(ctx, loadgen.StreamConfig{Target: target, Name: results.ArmTarget, Parallel: p,
			Duration: time.Second, Interval: 250 * time.Millisecond, CPU: opts, ServerCPU: true})
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, *c)
	}
	for _, mode := range []string{loadgen.ModeRR, loadgen.ModeCRR} {
		c, err := loadgen.RoundTrips(ctx, loadgen.RTTConfig{Target: target, Name: results.ArmTarget, Mode: mode,
			Requests: 1000, Warmup: 50, CPU: opts, ServerCPU: true})
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, *c)
	}
	for i := range cells {
		cells[i].Step = step
	}
	return cells
}

// TestReportOfRealLoopbackMeasurements measures a plain stream server as
// step 0 and one that delays every answer by 200 µs as step 100 (the cost a
// step would add to each round trip), and checks that the report shows what
// was measured: the cells' own rates, the injected delay as the round trips'
// median overhead, and CPU per Gbit/s.
func TestReportOfRealLoopbackMeasurements(t *testing.T) {
	if testing.Short() {
		t.Skip("measures real streams for a few seconds")
	}
	const delay = 200 * time.Microsecond
	doc := results.New()
	doc.Cells = append(measureStep(t, startStreamServer(t, 0), "0"), measureStep(t, startStreamServer(t, delay), "100")...)
	r := buildReport(t, doc)
	if r.Throughput == nil || r.RTT == nil || r.CPU == nil {
		t.Fatalf("report lacks a table: %+v", r)
	}

	th := r.Throughput
	if len(th.Rows) != 2 || len(th.Columns) != 2 {
		t.Fatalf("throughput %d rows x %d columns, want 2 x 2", len(th.Rows), len(th.Columns))
	}
	for ri, row := range th.Rows {
		for ci, c := range row.Cells {
			cell := doc.Cells[4*ri+ci]
			if got, want := c.TotalGbps, cell.Throughput.Gbps(); c.Missing || math.Abs(got-want) > 1e-9*want {
				t.Errorf("%s / %s: total %.3f Gbit/s, the cell measured %.3f", row.Label, th.Columns[ci].Label, got, want)
			}
			if c.Gbps <= 0 || !(c.GbpsCILow <= c.Gbps && c.Gbps <= c.GbpsCIHigh) {
				t.Errorf("%s / %s: %.3f Gbit/s outside its CI [%.3f, %.3f]", row.Label, th.Columns[ci].Label, c.Gbps, c.GbpsCILow, c.GbpsCIHigh)
			}
			if c.Connections != int64(th.Columns[ci].Parallel) {
				t.Errorf("%s / %s: server counted %d connections", row.Label, th.Columns[ci].Label, c.Connections)
			}
		}
	}

	// The round trips' overhead is the median comparison of exactly the
	// cells measured, and the injected delay shows as a significant increase
	// of at least half its size (timers overshoot on a busy machine; the
	// ±25% calibration is loadgen's test).
	for ci, col := range r.RTT.Columns {
		d := r.RTT.Rows[1].Cells[ci].Overhead
		var base, other []int64
		for _, c := range doc.Cells {
			if c.RTT != nil && c.RTT.Mode == col.Mode {
				if c.Step == "0" {
					base = c.RTT.SamplesNs
				} else {
					other = c.RTT.SamplesNs
				}
			}
		}
		if want := CompareMedian(base, other, testResamples...); d == nil || *d != want {
			t.Errorf("%s p50 at 100 vs 0: %+v, want the comparison of the measured cells %+v", col.Mode, d, want)
		}
		if d == nil || !d.Significant || d.Diff < delay/2 {
			t.Errorf("%s p50 at 100 vs 0: %+v; want a significant increase of about %v", col.Mode, d, delay)
		}
	}

	perGbps := 0
	sides := map[string]int{}
	for _, row := range r.CPU.Rows {
		if row.Busy <= 0 || row.CPUs < 1 || row.Seconds <= 0 {
			t.Errorf("cpu row %s %s: busy %.2f of %d CPUs over %.2f s", row.Label, row.Measurement, row.Busy, row.CPUs, row.Seconds)
		}
		if strings.Contains(row.Measurement, "stream") {
			if row.CoresPerGbps <= 0 {
				t.Errorf("cpu row %s %s: no cores per Gbit/s", row.Label, row.Measurement)
			}
			perGbps++
			sides[row.Side]++
		}
	}
	// Both sides of 2 steps x 2 stream settings. The rr round trips took a
	// few milliseconds, too short a window for /proc/stat, and say so.
	if perGbps != 8 || sides["client"] != 4 || sides["server"] != 4 {
		t.Errorf("%d stream cpu rows, sides %v; want 8, 4 per side", perGbps, sides)
	}
	if len(r.CPU.Notes) == 0 || !strings.Contains(r.CPU.Notes[0], "0 rr") || !strings.Contains(r.CPU.Notes[0], "not reported") {
		t.Errorf("cpu notes %q; want the short round-trip windows named as not reported", r.CPU.Notes)
	}
	for _, f := range Formats {
		if out := renderReport(t, r, f); !strings.Contains(out, "rr") || !strings.Contains(out, "crr") {
			t.Errorf("%s output lacks the round trips", f)
		}
	}
}
