package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// report renders what `meshbench stream` and `meshbench rtt` measured on a
// real loopback server: documents without latency cells get the throughput,
// round-trip and CPU tables.
func TestReportRendersStreamAndRTTDocuments(t *testing.T) {
	addr := testStreamServer(t)
	dir := t.TempDir()
	streams, rr := filepath.Join(dir, "streams.json"), filepath.Join(dir, "rr.json")
	if code, stderr := run(t, "stream", "--target", addr, "--duration", "500ms", "--interval", "250ms", "--streams", "1,2", "-o", streams); code != 0 {
		t.Fatalf("stream: exit %d: %s", code, stderr)
	}
	if code, stderr := run(t, "rtt", "--target", addr, "--mode", "rr", "--requests", "200", "--warmup", "5", "-o", rr); code != 0 {
		t.Fatalf("rtt: exit %d: %s", code, stderr)
	}
	code, out, stderr := runResultsCLI(t, "report", streams, rr)
	if code != 0 {
		t.Fatalf("report: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Throughput, Gbit/s", "1 stream", "2 streams", "Round trip, µs: p50 / p90 / p99", "rr", "CPU, cores", "cores per Gbit/s"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runResultsCLI(t, "report", "-o", "csv", streams, rr)
	if code != 0 || !strings.Contains(out, "gbps_mean") || !strings.Contains(out, "p50_us") {
		t.Errorf("csv report: exit %d:\n%s", code, out)
	}
	for _, args := range [][]string{
		{"report", "--plot", filepath.Join(dir, "x.png"), streams},
		{"report", "--baseline", "nope", streams},
		{"report", "--arm", "nope", streams},
	} {
		code, _, stderr := runResultsCLI(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 with one line", args[1:3], code, stderr)
		}
	}
}

// Bad --measure input is refused before anything touches a cluster.
func TestRunMeasureBadInputExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--measure", "latency,bogus"},
		{"run", "--measure", "cpu"},
		{"run", "--measure", "throughput", "--streams", "1,0"},
		{"run", "--measure", "throughput", "--stream-duration", "0s"},
		{"run", "--measure", "rtt", "--rtt-requests", "0"},
	} {
		code, _, stderr := runResultsCLI(t, append(args, "--kubeconfig", filepath.Join(t.TempDir(), "none"))...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || !strings.Contains(stderr, "--") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming the flag", args, code, stderr)
		}
	}
}
