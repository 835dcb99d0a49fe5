package loadgen

import (
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// quick is a small, fast run against the given targets.
func quick(targets ...Target) Config {
	sizes, _ := ParseSizes([]string{"1k"})
	return Config{Targets: targets, Sizes: sizes, Requests: 50, Rate: 400, Timeout: 5 * time.Second}
}

func mustLoad(t *testing.T, cfg Config) *results.Document {
	t.Helper()
	doc, err := Load(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return doc
}

func cellOf(t *testing.T, doc *results.Document, arm, size string) *results.Latency {
	t.Helper()
	for i := range doc.Cells {
		if c := &doc.Cells[i]; c.Arm == arm && c.SizeLabel == size {
			return c.Latency
		}
	}
	t.Fatalf("no cell %s/%s in %d cells", arm, size, len(doc.Cells))
	return nil
}

func TestKeepAliveOffOpensOneConnectionPerRequest(t *testing.T) {
	s := NewServer()
	url := startServer(t, s)
	cfg := quick(Target{Name: "A", URL: url})
	cfg.Warmup = 5
	before := s.Stats()
	lat := cellOf(t, mustLoad(t, cfg), "A", "1k")
	if lat.Requests != 50 || len(lat.SamplesNs) != 50 || len(lat.Errors) != 0 {
		t.Fatalf("cell: %d requests, %d samples, errors %v; want 50, 50, none", lat.Requests, len(lat.SamplesNs), lat.Errors)
	}
	if lat.NewConnections != 50 {
		t.Errorf("cell reports %d new connections for 50 requests with keep-alive off, want 50", lat.NewConnections)
	}
	// The server's own count: the measured requests, the warm-up, the
	// reachability-free run's /stats reads (1 probe + 2 per window).
	after := s.Stats()
	if got := after.NewConnections - before.NewConnections; got != 50+5+3 {
		t.Errorf("server accepted %d connections, want 58 (50 measured + 5 warm-up + 3 /stats reads)", got)
	}
}

func TestKeepAliveOnReusesConnections(t *testing.T) {
	url := startServer(t, NewServer())
	cfg := quick(Target{Name: "A", URL: url})
	cfg.KeepAlive = true
	cfg.Requests, cfg.Rate = 100, 100
	lat := cellOf(t, mustLoad(t, cfg), "A", "1k")
	if len(lat.SamplesNs) != 100 {
		t.Fatalf("%d samples, want 100 (errors %v)", len(lat.SamplesNs), lat.Errors)
	}
	// A request overlapping another opens a second connection, which a busy
	// machine makes more likely; reuse still keeps the count far below 100.
	if lat.NewConnections < 0 || lat.NewConnections > 25 {
		t.Errorf("with keep-alive 100 requests opened %d new connections, want far fewer than 100", lat.NewConnections)
	}
}

func TestLoadBodiesHaveExactSizes(t *testing.T) {
	s := NewServer()
	url := startServer(t, s)
	cfg := quick(Target{Name: "A", URL: url})
	cfg.Sizes, _ = ParseSizes([]string{"0,1,.5k,1Ki,100k,1Mi"})
	cfg.Requests = 5
	doc := mustLoad(t, cfg)
	for _, c := range doc.Cells {
		if len(c.Latency.SamplesNs) != 5 || len(c.Latency.Errors) != 0 {
			t.Errorf("size %s: %d samples, errors %v; want 5, none", c.SizeLabel, len(c.Latency.SamplesNs), c.Latency.Errors)
		}
	}
	if got := s.Stats().Requests; got != 30 {
		t.Errorf("server served %d sized responses, want 30", got)
	}
}

// shortServer answers with one byte less than asked, as a broken proxy
// might; its Content-Length is honest, so only the size check catches it.
func TestLoadCountsShortBodies(t *testing.T) {
	url := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := ParseSize(r.URL.Query().Get("size"))
		w.Write(make([]byte, max(n-1, 0)))
	}))
	lat := cellOf(t, mustLoad(t, quick(Target{Name: "A", URL: url})), "A", "1k")
	if lat.Errors["short body"] != 50 || len(lat.SamplesNs) != 0 {
		t.Errorf("errors %v, %d samples; want 50 short bodies and no samples", lat.Errors, len(lat.SamplesNs))
	}
	if lat.NewConnections != -1 {
		t.Errorf("a server without /stats reports %d new connections, want -1", lat.NewConnections)
	}
}

func TestLoadCountsErrorsByKind(t *testing.T) {
	failing := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusInternalServerError)
	}))
	slow := startHandler(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/stats" {
			http.NotFound(w, r)
			return
		}
		select {
		case <-time.After(10 * time.Second):
		case <-r.Context().Done():
		}
	}))
	closed := closedPort(t)
	good := startServer(t, NewServer())
	cfg := quick(Target{"ok", good}, Target{"failing", failing}, Target{"closed", closed}, Target{"slow", slow})
	cfg.Requests = 10
	cfg.Timeout = time.Second // short enough for the slow target, long for a busy machine
	doc := mustLoad(t, cfg)
	for arm, kind := range map[string]string{"failing": "status 500", "closed": "connection refused", "slow": "timeout"} {
		lat := cellOf(t, doc, arm, "1k")
		if lat.Errors[kind] != 10 || len(lat.SamplesNs) != 0 || lat.Requests != 10 {
			t.Errorf("%s: errors %v, %d samples, %d requests; want 10 %q", arm, lat.Errors, len(lat.SamplesNs), lat.Requests, kind)
		}
	}
	if lat := cellOf(t, doc, "ok", "1k"); len(lat.SamplesNs) != 10 || lat.Errors != nil {
		t.Errorf("the healthy target beside failing ones: %d samples, errors %v", len(lat.SamplesNs), lat.Errors)
	}
}

func TestTargetsAlternateRequestByRequest(t *testing.T) {
	var mu sync.Mutex
	var order []string
	rec := func(name string, next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/" && r.URL.Query().Has("size") {
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	}
	a := startHandler(t, rec("A", NewServer()))
	b := startHandler(t, rec("B", NewServer()))
	cfg := quick(Target{"A", a}, Target{"B", b})
	cfg.Sizes, _ = ParseSizes([]string{"1k,10k"})
	cfg.Requests, cfg.Rounds, cfg.Rate = 40, 2, 200
	doc := mustLoad(t, cfg)
	if len(doc.Cells) != 4 {
		t.Fatalf("%d cells, want 2 targets × 2 sizes", len(doc.Cells))
	}
	for _, c := range doc.Cells {
		if c.Latency.Requests != 40 {
			t.Errorf("%s/%s: %d requests, want 40 over 2 rounds", c.Arm, c.SizeLabel, c.Latency.Requests)
		}
	}
	// Requests are sent A, B, A, B, ...; on a busy machine they may arrive a
	// little out of order, but never far (one target after the other would
	// put one 20 ahead).
	diff := 0
	for i, name := range order {
		if name == "A" {
			diff++
		} else {
			diff--
		}
		if diff > 5 || diff < -5 {
			t.Fatalf("after %d requests one target is %d ahead: not alternating (%v...)", i+1, diff, order[:i+1])
		}
	}
}

func TestLoadStopsWhenCancelled(t *testing.T) {
	url := startServer(t, NewServer())
	cfg := quick(Target{"A", url})
	cfg.Requests, cfg.Rate = 100000, 100
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Load(ctx, cfg)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Load returned %v after %v; want the context's error soon after 300ms", err, time.Since(start))
	}
}

func TestBehindCellsAreMarked(t *testing.T) {
	r := newRun(quick(Target{"A", "http://127.0.0.1:1"}))
	c := r.cells[0][0]
	// 99 intervals in 1.2 s: 82.5/s of the 400/s asked.
	c.intervals, c.span = 99, 1200*time.Millisecond
	r.finish(c)
	if lat := r.doc.Cells[0].Latency; !lat.Behind || len(r.doc.Notes) != 1 {
		t.Errorf("achieved %.1f/s of 400: behind=%v notes=%v", lat.AchievedRate, lat.Behind, r.doc.Notes)
	}
	r = newRun(quick(Target{"A", "http://127.0.0.1:1"}))
	ok := r.cells[0][0]
	ok.intervals, ok.span = 99, 250*time.Millisecond // 396/s
	r.finish(ok)
	if r.doc.Cells[0].Latency.Behind {
		t.Errorf("396/s of 400/s marked behind")
	}
	// 19 intervals of 2.5 ms ending 4 ms late: the pacer's jitter, not a
	// client falling behind.
	r = newRun(quick(Target{"A", "http://127.0.0.1:1"}))
	jitter := r.cells[0][0]
	jitter.intervals, jitter.span = 19, 47500*time.Microsecond+4*time.Millisecond
	r.finish(jitter)
	if r.doc.Cells[0].Latency.Behind {
		t.Errorf("a 20-request cell 4 ms late marked behind")
	}
}

func TestLoadRefusesBadConfig(t *testing.T) {
	good := quick(Target{"A", "http://127.0.0.1:1"})
	for name, mutate := range map[string]func(*Config){
		"rate":     func(c *Config) { c.Rate = 0 },
		"requests": func(c *Config) { c.Requests = 0 },
		"target":   func(c *Config) { c.Targets = []Target{{"A", "ftp://x"}} },
		"warmup":   func(c *Config) { c.Warmup = -1 },
	} {
		cfg := good
		mutate(&cfg)
		_, err := Load(context.Background(), cfg)
		if ce, ok := err.(*ConfigError); !ok || ce.Field != name {
			t.Errorf("bad %s: got %v, want a ConfigError naming %s", name, err, name)
		}
	}
}

func TestCheckTargets(t *testing.T) {
	up := startServer(t, NewServer())
	if err := CheckTargets(context.Background(), []Target{{"A", up}}, time.Second); err != nil {
		t.Fatalf("a running server: %v", err)
	}
	err := CheckTargets(context.Background(), []Target{{"A", up}, {"B", closedPort(t)}}, time.Second)
	if ue, ok := err.(*UnreachableError); !ok || ue.Target.Name != "B" || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("a closed port: %v, want an UnreachableError for B saying connection refused", err)
	}
}

func TestParseTarget(t *testing.T) {
	for spec, want := range map[string]Target{
		"http://h:1":              {"D", "http://h:1"},
		"control=http://h:1/x":    {"control", "http://h:1/x"},
		"http://h:1/?a=b":         {"D", "http://h:1/?a=b"},
		"https://h/path?size=1":   {"D", "https://h/path?size=1"},
		"target=https://[::1]:80": {"target", "https://[::1]:80"},
	} {
		got, err := ParseTarget(spec, "D")
		if err != nil || got != want {
			t.Errorf("ParseTarget(%q) = %+v, %v; want %+v", spec, got, err, want)
		}
	}
	for _, bad := range []string{"", "=http://h", "h:8080", "ftp://h", "http://", "A=notaurl", "http://127.0.0.1:99999", "http://h:0", "http://h:", "http://h:-1"} {
		if _, err := ParseTarget(bad, "D"); err == nil {
			t.Errorf("ParseTarget(%q) succeeded", bad)
		}
	}
}

// startHandler serves h on a loopback port until the test ends.
func startHandler(t testing.TB, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: h}
	go hs.Serve(ln)
	t.Cleanup(func() { hs.Close() })
	return "http://" + ln.Addr().String()
}

// closedPort returns the URL of a loopback port nothing listens on.
func closedPort(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func TestTargetsSharingAServerReportNoConnections(t *testing.T) {
	url := startServer(t, NewServer())
	cfg := quick(Target{"A", url}, Target{"B", url + "/other"})
	cfg.Requests = 10
	doc := mustLoad(t, cfg)
	for _, arm := range []string{"A", "B"} {
		if lat := cellOf(t, doc, arm, "1k"); lat.NewConnections != -1 || len(lat.SamplesNs) != 10 {
			t.Errorf("%s: %d new connections, %d samples; want -1 (cannot be told apart) and 10", arm, lat.NewConnections, len(lat.SamplesNs))
		}
	}
	if len(doc.Notes) == 0 || !strings.Contains(doc.Notes[0], "share the server") {
		t.Errorf("notes %q, want one saying the targets share a server", doc.Notes)
	}
}

func TestLoadLogsOneLinePerWindow(t *testing.T) {
	url := startServer(t, NewServer())
	cfg := quick(Target{"A", url})
	cfg.Sizes, _ = ParseSizes([]string{"1k,10k"})
	cfg.Requests, cfg.Rounds, cfg.Warmup = 10, 2, 2
	var log strings.Builder
	cfg.Log = &log
	mustLoad(t, cfg)
	lines := strings.Split(strings.TrimSpace(log.String()), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[0], "warm-up") || !strings.HasPrefix(lines[4], "round 2/2 size 1k: 5 requests per target") {
		t.Errorf("log:\n%s\nwant a warm-up line and one line per round and size, sizes rotated", log.String())
	}
}

func TestLoadResolvesHostNames(t *testing.T) {
	url := startServer(t, NewServer())
	cfg := quick(Target{"A", strings.Replace(url, "127.0.0.1", "localhost", 1)})
	cfg.Requests = 10
	lat := cellOf(t, mustLoad(t, cfg), "A", "1k")
	if len(lat.SamplesNs) != 10 || lat.NewConnections != 10 {
		t.Errorf("localhost target: %d samples, %d new connections, errors %v; want 10, 10", len(lat.SamplesNs), lat.NewConnections, lat.Errors)
	}
}

func TestLoadOverIPv6(t *testing.T) {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback here: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { NewServer().Serve(ctx, ln); close(done) }()
	defer func() { cancel(); <-done }()
	cfg := quick(Target{"A", "http://" + ln.Addr().String()})
	cfg.Requests = 10
	lat := cellOf(t, mustLoad(t, cfg), "A", "1k")
	if len(lat.SamplesNs) != 10 || lat.NewConnections != 10 {
		t.Errorf("[::1]: %d samples, %d new connections, errors %v; want 10, 10", len(lat.SamplesNs), lat.NewConnections, lat.Errors)
	}
}
