package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// A failed load must leave the user's existing file as it was: the
// document replaces it only once there is one to write.
func TestLoadFailureKeepsAnExistingOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "existing.json")
	if err := os.WriteFile(out, []byte("the user's earlier results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := run(t, "load", "--target", closedURL(t), "--requests", "5", "-o", out)
	if code == 0 {
		t.Fatalf("load against a closed port succeeded: %s", stderr)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "the user's earlier results\n" {
		t.Errorf("after a failed load the file holds %q (%v)", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the failed load left files behind: %v", entries)
	}
}

// A successful load replaces the file and leaves no temporary file.
func TestLoadReplacesAnExistingOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "existing.json")
	os.WriteFile(out, []byte("old"), 0o644)
	code, stderr := run(t, "load", "--target", testServer(t), "--requests", "3", "--warmup", "0", "--sizes", "1k", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "meshbench.io/results") {
		t.Errorf("the file was not replaced by the document: %.80q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}

// countingListener accepts TCP connections on loopback and counts them, so
// a test can tell whether a command measured anything.
func countingListener(t *testing.T) (addr string, accepted func() int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			n.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().String(), func() int { return int(n.Load()) }
}

// An output that cannot be written is bad input found before anything is
// measured: the target sees no connection at all.
func TestStreamAndRTTCheckTheOutputBeforeMeasuring(t *testing.T) {
	addr, accepted := countingListener(t)
	bad := filepath.Join(t.TempDir(), "no", "such", "dir.json")
	for _, args := range [][]string{
		{"stream", "--target", addr, "--duration", "1", "-o", bad},
		{"rtt", "--target", addr, "--requests", "10", "-o", bad},
	} {
		code, stderr := run(t, args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "--output") {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line naming --output", args[0], code, stderr)
		}
	}
	if n := accepted(); n != 0 {
		t.Errorf("the target accepted %d connections: the commands measured before checking the output", n)
	}
}

// An unwritable --plot is refused before the table is printed.
func TestReportChecksThePlotPathBeforeTheTable(t *testing.T) {
	dir := t.TempDir()
	doc := writeRunDocument(t, dir, "run.json", "", 1)
	for _, cmd := range [][]string{{"report", doc}, {"compare", doc, doc}} {
		args := append(append([]string{}, cmd...), "--resamples", "200", "--plot", filepath.Join(dir, "no", "such", "table.svg"))
		code, stdout, stderr := runResultsCLI(t, args...)
		if code != 2 || stdout != "" || !strings.Contains(stderr, "--plot") {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q; want exit 2, no table, a line naming --plot", cmd[0], code, len(stdout), stderr)
		}
	}
	// A writable one gets the image and no temporary file stays.
	plot := filepath.Join(dir, "table.svg")
	if code, _, stderr := runResultsCLI(t, "report", doc, "--resamples", "200", "--plot", plot); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, err := os.ReadFile(plot); err != nil || !strings.Contains(string(b), "<svg") {
		t.Errorf("plot: %v, %.40q", err, b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("files left: %v; want run.json and table.svg", entries)
	}
}
