package main

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/internal/loopbacktest"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// testStreamServer runs a stream server on loopback until the test ends.
func testStreamServer(t *testing.T) string {
	t.Helper()
	return loopbacktest.Serve(t, func(ctx context.Context, ln net.Listener) { loadgen.NewStreamServer().Serve(ctx, ln) })
}

func TestStreamAndRTTBadInputExitTwoWithOneLine(t *testing.T) {
	addr := testStreamServer(t)
	closed := strings.TrimPrefix(closedURL(t), "http://")
	prom := closedURL(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "out.json")
	for name, args := range map[string][]string{
		"parallel 0":           {"stream", "--target", addr, "--parallel", "0"},
		"duration 0":           {"stream", "--target", addr, "--duration", "0"},
		"duration word":        {"stream", "--target", addr, "--duration", "long"},
		"negative omit":        {"stream", "--target", addr, "--omit", "-1"},
		"streams with 0":       {"stream", "--target", addr, "--streams", "1,0,4"},
		"write size 0":         {"stream", "--target", addr, "--write-size", "0"},
		"no target":            {"stream"},
		"unreachable target":   {"stream", "--target", closed, "-o", out},
		"target without port":  {"stream", "--target", "127.0.0.1"},
		"unreachable prom":     {"stream", "--target", addr, "--prometheus", prom, "-o", out},
		"prom query no prom":   {"stream", "--target", addr, "--prometheus-query", "a=up"},
		"bad prom query":       {"stream", "--target", addr, "--prometheus", prom, "--prometheus-query", "up"},
		"unknown mode":         {"rtt", "--target", addr, "--mode", "udp_rr"},
		"requests 0":           {"rtt", "--target", addr, "--requests", "0"},
		"rtt unreachable":      {"rtt", "--target", closed, "-o", out},
		"rtt unreachable prom": {"rtt", "--target", addr, "--prometheus", prom},
		"serve stream port":    {"serve", "--port", "0", "--stream-port", "-5"},
		"not a cgroup":         {"stream", "--target", addr, "--cgroup", dir},
	} {
		code, stderr := run(t, args...)
		if code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%s: exit %d, stderr %q; want 2 and one line", name, code, stderr)
		}
	}
	if _, err := results.ReadFile(out); err == nil {
		t.Error("bad input wrote a results document")
	}
}

func TestStreamSweepWritesACellPerParallelism(t *testing.T) {
	addr := testStreamServer(t)
	out := filepath.Join(t.TempDir(), "streams.json")
	code, stderr := run(t, "stream", "--target", addr, "--duration", "500ms", "--interval", "250ms", "--streams", "1,3", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Cells) != 2 {
		t.Fatalf("%d cells, want 2", len(doc.Cells))
	}
	for i, want := range []int{1, 3} {
		th := doc.Cells[i].Throughput
		if th == nil || th.Parallel != want || th.Connections != int64(want) {
			t.Errorf("cell %d: %+v, want %d connections counted by the server", i, th, want)
			continue
		}
		if th.ServerBytes != th.WireBytes || len(th.Intervals) != 2 {
			t.Errorf("cell %d: server %d bytes, client %d, %d intervals", i, th.ServerBytes, th.WireBytes, len(th.Intervals))
		}
		if doc.Cells[i].CPU == nil {
			t.Errorf("cell %d has no CPU figures", i)
		}
	}
	if doc.Flags["streams"] != "1,3" {
		t.Errorf("flags recorded: %v", doc.Flags)
	}
}

func TestRTTWritesSamples(t *testing.T) {
	addr := testStreamServer(t)
	out := filepath.Join(t.TempDir(), "rtt.json")
	code, stderr := run(t, "rtt", "--target", addr, "--mode", "crr", "--requests", "100", "--warmup", "5", "--no-cpu", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	r := doc.Cells[0].RTT
	if r == nil || r.Mode != "crr" || len(r.SamplesNs) != 100 || r.Connections != 100 {
		t.Errorf("rtt cell %+v, want 100 crr samples on 100 connections", r)
	}
	if doc.Cells[0].CPU != nil {
		t.Error("CPU figures although --no-cpu")
	}
}

// serve --stream-port answers streams beside HTTP, until cancelled.
func TestServeStreamPort(t *testing.T) {
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() {
		done <- execute(ctx, []string{"serve", "--port", "0", "--address", "127.0.0.1", "--stream-port", fmt.Sprint(port)})
	}()
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	var cell *results.Cell
	var err error
	for start := time.Now(); time.Since(start) < 10*time.Second; time.Sleep(50 * time.Millisecond) {
		if cell, err = loadgen.RoundTrips(context.Background(), loadgen.RTTConfig{Target: addr, Mode: loadgen.ModeRR, Requests: 10}); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("no stream listener on --stream-port: %v", err)
	}
	if len(cell.RTT.SamplesNs) != 10 {
		t.Errorf("%d round trips, want 10", len(cell.RTT.SamplesNs))
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d after cancel", code)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
