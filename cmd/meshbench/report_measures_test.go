package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/loadgen"
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
	img := filepath.Join(dir, "streams.png")
	if code, _, stderr := runResultsCLI(t, "report", "--plot", img, streams, rr); code != 0 {
		t.Errorf("--plot of streams and round trips: exit %d: %s", code, stderr)
	} else if fi, err := os.Stat(img); err != nil || fi.Size() < 1000 {
		t.Errorf("--plot of streams and round trips wrote no image: %v", err)
	}
	for _, args := range [][]string{
		{"report", "--plot-against", "control", "--plot", filepath.Join(dir, "x.png"), streams},
		{"report", "--plot-against", "step0", "--plot", filepath.Join(dir, "x.png"), streams},
		{"report", "--plot-against", "baseline", streams},
		{"report", "--baseline", "nope", streams},
		{"report", "--arm", "nope", streams},
	} {
		code, _, stderr := runResultsCLI(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 with one line", args[1:], code, stderr)
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
		{"run", "--measure", "throughput", "--plot", "x.png"},
	} {
		code, _, stderr := runResultsCLI(t, append(args, "--kubeconfig", filepath.Join(t.TempDir(), "none"))...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || !strings.Contains(stderr, "--") {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line naming the flag", args, code, stderr)
		}
	}
}

// --wait-reachable retries a stream server that is not reachable yet (a new
// pod the policy engine has not admitted): rtt succeeds once it listens.
func TestRTTWaitsForAServerThatComesLater(t *testing.T) {
	port := freePort(t)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	go func() {
		time.Sleep(500 * time.Millisecond)
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Error(err)
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		go loadgen.NewStreamServer().Serve(ctx, ln)
	}()
	out := filepath.Join(t.TempDir(), "rr.json")
	if code, stderr := run(t, "rtt", "--target", addr, "--requests", "50", "--warmup", "1", "--no-cpu", "--no-server-cpu", "--wait-reachable", "10s", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	closed := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	if code, _ := run(t, "rtt", "--target", closed, "--requests", "5", "--wait-reachable", "300ms"); code != 2 {
		t.Errorf("a server that never comes: exit %d, want 2", code)
	}
}
