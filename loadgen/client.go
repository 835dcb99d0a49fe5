package loadgen

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Header names the transport reads from each request.
const (
	seqHeader    = "X-Vegeta-Seq"       // set by vegeta on every request
	targetHeader = "X-Meshbench-Target" // the index of the request's target
)

// newTransport returns the transport every window shares. With keep-alive
// off each request dials a new TCP connection and closes it after the
// response, as the Romana study did.
func newTransport(keepAlive bool) *http.Transport {
	d := &net.Dialer{Timeout: 30 * time.Second}
	if keepAlive {
		d.KeepAlive = 30 * time.Second
	} else {
		d.KeepAlive = -1 // no TCP keep-alive probes on one-request connections
	}
	return &http.Transport{
		Proxy:               nil, // loads go straight to the target
		DialContext:         d.DialContext,
		DisableKeepAlives:   !keepAlive,
		DisableCompression:  true,
		MaxIdleConnsPerHost: vegeta.DefaultConnections,
	}
}

// hitLog records, per request of one window (by vegeta's sequence number),
// which target it went to and how many body bytes arrived. vegeta itself
// then reads no body (MaxBody(0)): the body is counted while it is drained,
// so a 1 MB response costs no allocation and no copy on the client.
type hitLog struct {
	base   http.RoundTripper
	target []int32
	bytes  []int64
}

func newHitLog(base http.RoundTripper, hits int) *hitLog {
	l := &hitLog{base: base, target: make([]int32, hits), bytes: make([]int64, hits)}
	for i := range l.target {
		l.target[i] = -1
	}
	return l
}

// RoundTrip implements http.RoundTripper. Each slot is written by the one
// worker handling that request before vegeta hands its Result over a
// channel, which orders the write before the reader's access.
func (l *hitLog) RoundTrip(req *http.Request) (*http.Response, error) {
	seq, err := strconv.Atoi(req.Header.Get(seqHeader))
	if err != nil || seq < 0 || seq >= len(l.target) {
		return l.base.RoundTrip(req)
	}
	if t, err := strconv.Atoi(req.Header.Get(targetHeader)); err == nil {
		l.target[seq] = int32(t)
	}
	resp, err := l.base.RoundTrip(req)
	if err == nil {
		resp.Body = &countingBody{ReadCloser: resp.Body, n: &l.bytes[seq]}
	}
	return resp, err
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

// newAttacker returns a vegeta attacker for one window. An attacker stops
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
