package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/netutil"
)

// MaxServedSize is the largest body the server sends (1 GiB); larger sizes
// are refused with 400 so a typo cannot tie the server up.
const MaxServedSize = 1 << 30

// chunk is the shared, read-only buffer every body is written from, so a
// 1 MB response allocates nothing per request.
var chunk = func() []byte {
	b := make([]byte, 64<<10)
	for i := range b {
		b[i] = 'a' + byte(i%26)
	}
	return b
}()

// Stats are a server's counters since it started.
type Stats struct {
	// Requests is the number of sized responses served.
	Requests int64 `json:"requests"`
	// NewConnections is the number of TCP connections accepted (every
	// connection, including those of /stats and /healthz).
	NewConnections int64 `json:"newConnections"`
}

// Server is an http.Handler answering with bodies of exactly the size asked
// for. Serve it with Server.Serve to have new connections counted.
type Server struct {
	delay time.Duration
	// maxConns and idle bound what clients can hold: connections open at
	// once, and how long a kept-alive connection may idle or a response
	// write may stall.
	maxConns int
	idle     time.Duration
	requests atomic.Int64
	conns    atomic.Int64
	mux      *http.ServeMux
}

// ServerOption configures a Server.
type ServerOption func(*Server)

// WithDelay makes the server wait d before answering each sized request,
// measured from when the handler starts. It is precise to a few
// microseconds (see waitUntil), which is what calibrating the pipeline with
// 20–100 µs delays needs.
func WithDelay(d time.Duration) ServerOption {
	return func(s *Server) { s.delay = d }
}

// WithLimits sets how many connections Serve holds at once (more wait in
// the listen backlog until one closes) and how long a kept-alive
// connection may idle or one write of a response may stall before the
// connection is closed (defaults DefaultMaxConns, DefaultIdleTimeout).
func WithLimits(maxConns int, idle time.Duration) ServerOption {
	return func(s *Server) { s.maxConns, s.idle = maxConns, idle }
}

// Defaults of WithLimits: a connection costs the server some 20 KiB
// (buffers and its goroutine), so 1,024 of them stay within 20 MiB.
const (
	DefaultMaxConns    = 1024
	DefaultIdleTimeout = 30 * time.Second
)

// NewServer returns a sized-response server.
func NewServer(opts ...ServerOption) *Server {
	s := &Server{maxConns: DefaultMaxConns, idle: DefaultIdleTimeout}
	for _, o := range opts {
		o(s)
	}
	s.mux = http.NewServeMux()
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /stats", s.stats)
	s.mux.HandleFunc("GET /bytes/{size}", func(w http.ResponseWriter, r *http.Request) {
		s.sized(w, r, r.PathValue("size"))
	})
	s.mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		s.sized(w, r, r.URL.Query().Get("size"))
	})
	return s
}

// Delay is the per-request delay the server adds.
func (s *Server) Delay() time.Duration { return s.delay }

// Stats returns the counters.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), NewConnections: s.conns.Load()}
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// ConnState counts new connections; set it as an http.Server's ConnState
// when serving the handler without Serve.
func (s *Server) ConnState(_ net.Conn, st http.ConnState) {
	if st == http.StateNew {
		s.conns.Add(1)
	}
}

// Serve answers on ln until ctx is done, then shuts down gracefully
// (in-flight requests get up to 5 s). It returns nil after a shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s,
		ConnState:         s.ConnState,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       s.idle,
	}
	ln = netutil.LimitListener(ln, s.maxConns)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	w.Write([]byte("ok\n"))
}

func (s *Server) stats(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(s.Stats())
}

// sized writes a body of exactly the size spec asks for, after the delay.
func (s *Server) sized(w http.ResponseWriter, r *http.Request, spec string) {
	start := time.Now()
	if spec == "" {
		if r.URL.Path == "/" {
			s.index(w)
			return
		}
		http.NotFound(w, r)
		return
	}
	n, err := ParseSize(spec)
	if err == nil && n > MaxServedSize {
		err = fmt.Errorf("size %q is larger than the server's limit of %s", spec, FormatSize(MaxServedSize))
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.delay > 0 {
		waitUntil(start.Add(s.delay))
	}
	h := w.Header()
	h["Content-Type"] = octetStream
	h["Content-Length"] = []string{strconv.FormatInt(n, 10)}
	w.WriteHeader(http.StatusOK)
	// A client that stops reading would hold the handler forever: every
	// chunk must go out within the idle timeout. The deadline is cleared
	// after, for the next request on a kept-alive connection.
	rc := http.NewResponseController(w)
	defer func() {
		rc.Flush()
		rc.SetWriteDeadline(time.Time{})
	}()
	for n > 0 && r.Method != http.MethodHead {
		k := min(n, int64(len(chunk)))
		rc.SetWriteDeadline(time.Now().Add(s.idle))
		if _, err := w.Write(chunk[:k]); err != nil {
			return
		}
		n -= k
	}
	s.requests.Add(1)
}

var octetStream = []string{"application/octet-stream"}

// index answers "/" without a size with a short usage text.
func (s *Server) index(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/plain")
	fmt.Fprintln(w, strings.TrimSpace(`meshbench serve: GET /bytes/<size> or /?size=<size> (512, .5k, 1k, 1M, 1Mi; k=1000, Ki=1024), /healthz, /stats`))
}
