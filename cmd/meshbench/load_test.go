package main

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/internal/loopbacktest"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// run executes a command line as main does and returns its exit code and
// what it wrote to standard error.
func run(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stderr
	os.Stderr = w
	out := make(chan string)
	go func() { b, _ := io.ReadAll(r); out <- string(b) }()
	code := execute(context.Background(), args)
	os.Stderr = saved
	w.Close()
	return code, <-out
}

// testServer runs a meshbench server on loopback until the test ends.
func testServer(t *testing.T) string {
	t.Helper()
	return "http://" + loopbacktest.Serve(t, func(ctx context.Context, ln net.Listener) { loadgen.NewServer().Serve(ctx, ln) })
}

func closedURL(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return "http://" + ln.Addr().String()
}

func TestLoadBadInputExitsTwoWithOneLine(t *testing.T) {
	url := testServer(t)
	dir := t.TempDir()
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"size 12q":        {[]string{"--sizes", "12q"}, "--sizes"},
		"negative size":   {[]string{"--sizes", "-1k"}, "--sizes"},
		"rate 0":          {[]string{"--rate", "0"}, "--rate"},
		"negative rate":   {[]string{"--rate", "-5"}, "--rate"},
		"rate not number": {[]string{"--rate", "fast"}, "--rate"},
		"requests 0":      {[]string{"--requests", "0"}, "--requests"},
		"rounds 0":        {[]string{"--rounds", "0"}, "--rounds"},
		"timeout 0":       {[]string{"--timeout", "0s"}, "--timeout"},
		"bad URL":         {[]string{"--target", "ftp://x"}, "--target"},
		"no host":         {[]string{"--target", "B=http://"}, "--target"},
		"unreachable":     {[]string{"--target", closedURL(t)}, "unreachable"},
		"unwritable -o":   {[]string{"-o", filepath.Join(dir, "no/such/dir.json")}, "--output"},
	} {
		args := append([]string{"load", "--target", url, "--requests", "5", "--warmup", "0", "--sizes", "1k"}, c.args...)
		if name == "bad URL" || name == "no host" || name == "unreachable" {
			args = append([]string{"load", "--requests", "5"}, c.args...)
		}
		code, stderr := run(t, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr %q; want exit 2 and one line naming %s", name, code, stderr, c.want)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("bad input created files: %v", entries)
	}
}

func TestLoadWritesResults(t *testing.T) {
	a, b := testServer(t), testServer(t)
	out := filepath.Join(t.TempDir(), "r.json")
	code, stderr := run(t, "load", "--target", a, "--target", "control="+b, "--sizes", ".5k,1k", "--requests", "20",
		"--rate", "200", "--warmup", "2", "--rounds", "2", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	doc, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Cells) != 4 || doc.Load.Rate != 200 || doc.Load.Rounds != 2 || doc.Flags["sizes"] != ".5k,1k" {
		t.Fatalf("document: %d cells, load %+v, flags %v", len(doc.Cells), doc.Load, doc.Flags)
	}
	arms := map[string]bool{}
	for _, c := range doc.Cells {
		arms[c.Arm] = true
		if n := len(c.Latency.SamplesNs); n != 20 || c.Latency.NewConnections != 20 {
			t.Errorf("%s/%s: %d samples, %d new connections; want 20 each", c.Arm, c.SizeLabel, n, c.Latency.NewConnections)
		}
	}
	if !arms["A"] || !arms["control"] {
		t.Errorf("arms %v, want A (unnamed) and control", arms)
	}
	if len(doc.Command) < 3 || doc.Command[0] != "meshbench" || doc.Command[1] != "load" {
		t.Errorf("command %q", doc.Command)
	}
	if !strings.Contains(stderr, "p50") {
		t.Errorf("no summary on stderr: %q", stderr)
	}
}

func TestServeBadInputExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--port", "70000"},
		{"serve", "--delay", "-1ms"},
		{"serve", "--address", "not-an-ip"},
		{"serve", "--delay", "soon"},
	} {
		if code, stderr := run(t, args...); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want 2 and one line", args, code, stderr)
		}
	}
}

func TestServeStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- execute(ctx, []string{"serve", "--port", "0", "--address", "127.0.0.1"}) }()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d after cancel, want 0", code)
	}
}
