package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Header names the transport reads from each request.
const (
	seqHeader    = "X-Vegeta-Seq"       // set by vegeta on every request
	targetHeader = "X-Meshbench-Target" // the index of the request's target
)

// useNetpoller sends every one-shot request through Go's netpoller instead
// of pollConn; the peer benchmark sets it to compare the two.
var useNetpoller = false

// newTransport returns the transport every window shares. With keep-alive
// off each request dials a new TCP connection and closes it after the
// response, as the Romana study did (see oneShotTransport); with keep-alive
// on, http.Transport pools connections.
func newTransport(keepAlive bool, timeout time.Duration) http.RoundTripper {
	pooled := &http.Transport{
		Proxy:               nil, // loads go straight to the target
		DialContext:         (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
		MaxIdleConnsPerHost: vegeta.DefaultConnections,
	}
	if keepAlive {
		return &timeoutTransport{base: pooled, timeout: timeout}
	}
	// No TCP keep-alive probes on one-request connections.
	return &oneShotTransport{dialer: net.Dialer{KeepAlive: -1}, timeout: timeout, fallback: pooled, netpoller: useNetpoller}
}

// hitLog records, per request in flight (by vegeta's sequence number),
// which target it went to and how many body bytes arrived. vegeta itself
// reads no body (MaxBody(0)): the body is counted while it is drained, so
// a 1 MB response costs no allocation and no copy on the client. Entries
// are removed as their Results are recorded, so the log holds only the
// requests in flight, not one entry per request of the window.
type hitLog struct {
	base http.RoundTripper
	mu   sync.Mutex
	hits map[uint64]*hit
}

type hit struct {
	target int
	bytes  int64
}

func newHitLog(base http.RoundTripper) *hitLog {
	return &hitLog{base: base, hits: map[uint64]*hit{}}
}

// RoundTrip implements http.RoundTripper.
func (l *hitLog) RoundTrip(req *http.Request) (*http.Response, error) {
	seq, err1 := strconv.ParseUint(req.Header.Get(seqHeader), 10, 64)
	t, err2 := strconv.Atoi(req.Header.Get(targetHeader))
	if err1 != nil || err2 != nil {
		return l.base.RoundTrip(req)
	}
	h := &hit{target: t}
	l.mu.Lock()
	l.hits[seq] = h
	l.mu.Unlock()
	resp, err := l.base.RoundTrip(req)
	if err == nil {
		// Only the worker that owns the request reads the body, and vegeta
		// hands the Result over a channel after that: the count needs no lock.
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &h.bytes}
	}
	return resp, err
}

// take removes and returns the entry of request seq.
func (l *hitLog) take(seq uint64) (*hit, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h, ok := l.hits[seq]
	delete(l.hits, seq)
	return h, ok
}

type countingBody struct {
	io.ReadCloser
	n *int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	*b.n += int64(n)
	return n, err
}

// newAttacker returns a vegeta attacker for one window; timeout 0 leaves
// the timeout to the transport. An attacker stops
// for good after its attack, so each window gets a new one; they share the
// transport. The Client option comes last: options after it that touch the
// transport would find it replaced.
func newAttacker(tr http.RoundTripper, timeout time.Duration) *vegeta.Attacker {
	return vegeta.NewAttacker(
		vegeta.MaxBody(0),
		vegeta.Client(&http.Client{
			Transport: tr,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}),
	)
}

// countPacer is a constant pacer that stops after hits requests: a cell is a
// number of requests, not a duration (by duration some are lost at the end).
type countPacer struct {
	vegeta.ConstantPacer
	hits uint64
}

func (p countPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.hits {
		return 0, true
	}
	return p.ConstantPacer.Pace(elapsed, hits)
}

// timeoutTransport bounds each request, dial to last body byte, by a
// context deadline released when the body is closed.
type timeoutTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
	if err != nil {
		cancel()
		return nil, err
	}
	resp.Body = &cancelBody{ReadCloser: resp.Body, cancel: cancel}
	return resp, nil
}

func (t *timeoutTransport) CloseIdleConnections() { closeIdle(t.base) }

type cancelBody struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (b *cancelBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
