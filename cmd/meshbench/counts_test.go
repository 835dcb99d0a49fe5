package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// A count a user gives sizes the memory that keeps its samples: a count the
// machine cannot hold is bad input that says the limit, not a crash.
func TestCountsBeyondMemoryAreBadInput(t *testing.T) {
	url := testServer(t)
	addr := testStreamServer(t)
	for name, c := range map[string]struct {
		args []string
		flag string
	}{
		"load requests 1e12":     {[]string{"load", "--target", url, "--sizes", "1k", "--requests", "1000000000000"}, "--requests"},
		"load requests int64max": {[]string{"load", "--target", url, "--sizes", "1k", "--requests", "9223372036854775807"}, "--requests"},
		"load warmup int64max":   {[]string{"load", "--target", url, "--sizes", "1k", "--requests", "5", "--warmup", "9223372036854775807"}, "--warmup"},
		"rtt requests 1e12":      {[]string{"rtt", "--target", addr, "--requests", "1000000000000"}, "--requests"},
		"rtt requests int64max":  {[]string{"rtt", "--target", addr, "--requests", "9223372036854775807"}, "--requests"},
		"rtt warmup int64max":    {[]string{"rtt", "--target", addr, "--warmup", "9223372036854775807"}, "--warmup"},
	} {
		code, stderr := run(t, c.args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, c.flag) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line naming %s", name, code, stderr, c.flag)
		}
		if c.flag == "--requests" && !strings.Contains(line, "at most") {
			t.Errorf("%s: %q does not say the limit", name, line)
		}
	}
}

// More streams than one machine carries are refused, with the limit.
func TestStreamParallelBeyondTheLimitIsBadInput(t *testing.T) {
	addr := testStreamServer(t)
	for _, args := range [][]string{
		{"stream", "--target", addr, "--parallel", "2000"},
		{"stream", "--target", addr, "--streams", "1,2000"},
		{"run", "--kubeconfig", "/dev/null", "--measure", "throughput", "--streams", "1,2000"},
	} {
		code, stderr := run(t, args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "128") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line saying the limit 128", args, code, stderr)
		}
	}
}

// Durations and counts that would mean something other than what was typed,
// or grow a document without bound, are bad input.
func TestOutOfRangeTimesAreBadInput(t *testing.T) {
	addr := testStreamServer(t)
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"stream", "--target", addr, "--interval", "1us"}, "--interval"},
		{[]string{"stream", "--target", addr, "--duration", "1000000"}, "--duration"},
		{[]string{"stream", "--target", addr, "--wait-reachable", "-5s"}, "--wait-reachable"},
		{[]string{"rtt", "--target", addr, "--wait-reachable", "-5s"}, "--wait-reachable"},
		{[]string{"load", "--target", testServer(t), "--wait-reachable", "-5s"}, "--wait-reachable"},
		{[]string{"rtt", "--target", addr, "--linger", "2h"}, "--linger"},
		{[]string{"rtt", "--target", addr, "--settle", "-2s"}, "--settle"},
		{[]string{"load", "--target", testServer(t), "--linger", "-1s"}, "--linger"},
		{[]string{"load", "--target", testServer(t), "--settle", "2h"}, "--settle"},
		{[]string{"probe", "--url", "http://127.0.0.1:1/", "--count", "-1"}, "--count"},
	} {
		code, stderr := run(t, c.args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, c.flag) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming %s", c.args, code, stderr, c.flag)
		}
	}
}

func TestRunStreamDurationBeyondADayIsBadInput(t *testing.T) {
	code, stderr := run(t, "run", "--kubeconfig", unreachableKubeconfig(t), "--measure", "throughput", "--stream-duration", "1000h")
	if line := strings.TrimSpace(stderr); code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "--stream-duration") {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming --stream-duration", code, stderr)
	}
}

// --linger keeps a client up after its results are written (a run reading
// the server node's counters takes its last reads meanwhile): the document
// is complete before the process ends.
func TestLingerStaysUpAfterTheResults(t *testing.T) {
	addr := testStreamServer(t)
	out := filepath.Join(t.TempDir(), "rtt.json")
	start := time.Now()
	if code, stderr := run(t, "rtt", "--target", addr, "--mode", "crr", "--requests", "20", "--warmup", "1", "--no-cpu", "--no-server-cpu", "--linger", "1500ms", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("rtt --linger 1500ms ended after %v", took)
	}
	if doc, err := results.ReadFile(out); err != nil || len(doc.Cells) != 1 {
		t.Errorf("results after lingering: %v", err)
	}
}

// rtt with two named crr targets measures both in one run, alternating,
// a cell per target under its name; forms it cannot measure that way are
// bad input naming the flag.
func TestRTTAlternatesNamedTargets(t *testing.T) {
	target, control := testStreamServer(t), testStreamServer(t)
	out := filepath.Join(t.TempDir(), "crr.json")
	code, stderr := run(t, "rtt", "--mode", "crr", "--target", "target="+target, "--target", "control="+control,
		"--requests", "50", "--warmup", "5", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc, err := results.ReadFile(out)
	if err != nil || len(doc.Cells) != 2 {
		t.Fatalf("document: %v, %d cells; want one per target", err, len(doc.Cells))
	}
	for i, want := range []struct{ arm, addr string }{{"target", target}, {"control", control}} {
		c := doc.Cells[i]
		if c.Arm != want.arm || c.RTT == nil || c.RTT.Target != want.addr || !c.RTT.Alternated || len(c.RTT.SamplesNs) != 50 || c.RTT.Connections != 50 || c.CPU != nil {
			t.Errorf("cell %d: %+v; want arm %s at %s, alternated, 50 round trips on 50 connections, no CPU", i, c, want.arm, want.addr)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"rtt", "--mode", "rr", "--target", "a=" + target, "--target", "b=" + control}, "--mode crr"},
		{[]string{"rtt", "--mode", "crr", "--target", "a=" + target, "--target", "a=" + control}, "given twice"},
		{[]string{"rtt", "--mode", "crr", "--target", "=" + target}, "[NAME=]HOST:PORT"},
		{[]string{"rtt", "--mode", "crr", "--target", "a=nowhere"}, "[NAME=]HOST:PORT"},
		{[]string{"rtt", "--mode", "crr", "--target", target, "--target", control, "--cgroup", "-"}, "--cgroup"},
		{[]string{"rtt", "--mode", "crr"}, "--target"},
	} {
		code, stderr := run(t, c.args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line saying %q", c.args, code, stderr, c.want)
		}
	}
}

// load --settle waits between the targets' first answer and the measured
// requests (a run reading the datapath lets the engine's rewrites for the
// new client pass meanwhile): the requests' window starts after it.
func TestLoadSettlesBeforeMeasuring(t *testing.T) {
	out := filepath.Join(t.TempDir(), "load.json")
	start := time.Now()
	if code, stderr := run(t, "load", "--target", testServer(t), "--sizes", ".5k", "--requests", "20", "--rate", "100", "--warmup", "1", "--settle", "1500ms", "-o", out); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc, err := results.ReadFile(out)
	if err != nil || len(doc.Cells) != 1 || doc.Cells[0].Latency == nil {
		t.Fatalf("results: %v", err)
	}
	// 20 requests at 100/s take 0.2 s; the rest is the settling.
	if took := time.Since(start); took < 1500*time.Millisecond {
		t.Errorf("load --settle 1500ms ended after %v", took)
	}
	if d := doc.Cells[0].Latency.Duration; d > time.Second {
		t.Errorf("the measured requests took %v; want the settling outside their window", d)
	}
}
