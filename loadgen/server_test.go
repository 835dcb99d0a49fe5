package loadgen

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// startServer serves s on a loopback port until the test ends and returns
// its base URL.
func startServer(t testing.TB, s *Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t testing.TB, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

func TestServerExactSizes(t *testing.T) {
	s := NewServer()
	base := startServer(t, s)
	for _, size := range []string{"0", "1", "512", ".5k", "1k", "1Ki", "10k", "100k", "1M", "1Mi", "65537"} {
		want, _ := ParseSize(size)
		for _, url := range []string{base + "/bytes/" + size, base + "/?size=" + size, base + "/any/path?size=" + size} {
			code, body := get(t, url)
			if code != 200 || int64(len(body)) != want {
				t.Errorf("GET %s: status %d, %d bytes; want 200, %d bytes", url, code, len(body), want)
			}
		}
	}
	if got := s.Stats().Requests; got != 33 {
		t.Errorf("Stats().Requests = %d after 33 sized responses", got)
	}
}

func TestServerRefusesBadSizes(t *testing.T) {
	base := startServer(t, NewServer())
	for _, path := range []string{"/bytes/12q", "/?size=-1", "/bytes/2Gi"} {
		code, body := get(t, base+path)
		if code != http.StatusBadRequest || !strings.Contains(string(body), "size") {
			t.Errorf("GET %s: status %d %q, want 400 naming the size", path, code, body)
		}
	}
	if code, _ := get(t, base+"/nothing"); code != http.StatusNotFound {
		t.Errorf("GET /nothing: status %d, want 404", code)
	}
}

func TestServerStatsCountsConnections(t *testing.T) {
	s := NewServer()
	base := startServer(t, s)
	if code, body := get(t, base+"/healthz"); code != 200 || string(body) != "ok\n" {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	// Each request on a client without keep-alive is a new connection.
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 5 {
		resp, err := c.Get(base + "/bytes/10")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	resp, err := c.Get(base + "/stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	// healthz (one connection of the default client) + 5 + the /stats request.
	if st.Requests != 5 || st.NewConnections != 7 {
		t.Errorf("/stats = %+v, want 5 requests and 7 new connections", st)
	}
}

func TestServerDelayIsNeverShort(t *testing.T) {
	const d = 100 * time.Microsecond
	s := NewServer(WithDelay(d))
	rec := &discardWriter{h: http.Header{}}
	req, _ := http.NewRequest("GET", "/bytes/1", nil)
	for range 50 {
		start := time.Now()
		s.ServeHTTP(rec, req)
		if took := time.Since(start); took < d {
			t.Fatalf("request with a %v delay took %v", d, took)
		}
	}
}

// discardWriter is a minimal ResponseWriter for calling the handler directly.
type discardWriter struct {
	h    http.Header
	n    int
	code int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(code int)        { w.code = code }
func (w *discardWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }
