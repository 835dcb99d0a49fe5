package loadgen

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// oneShotTransport sends each plain-HTTP request on a TCP connection of its
// own, dialled, written and read on the calling goroutine, and closes the
// connection with the body. It is what keep-alive off means, minus the
// goroutine hand-offs of http.Transport (a dial goroutine, a read loop and a
// write loop per connection): measured here at 100 requests/s, those cost
// 0.3–0.5 ms per request on a busy 2-core machine, half the floor itself.
// Requests use net/http's own Request.Write and ReadResponse. Other schemes
// (https) go to fallback.
//
// The transport enforces the timeout itself, as a deadline on the
// connection covering dial to last body byte, so the http.Client above it
// needs none (a client timeout costs a timer and a goroutine per request).
//
// Host names are resolved once, on first use, as ab does: Go's resolver has
// no cache, and a DNS query in every request (to a cluster's DNS server,
// itself behind the network being measured) would be measured with it.
type oneShotTransport struct {
	dialer   net.Dialer
	timeout  time.Duration
	fallback http.RoundTripper
	resolved sync.Map // host name → []netip.Addr, IPv4 first
	polled   atomic.Int64
	// netpoller makes every connection go through Go's netpoller (for
	// comparison; see pollConn).
	netpoller bool
}

var (
	readerPool = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}
	writerPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, 4096) }}
)

// RoundTrip implements http.RoundTripper.
func (t *oneShotTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme != "http" {
		return (&timeoutTransport{base: t.fallback, timeout: t.timeout}).RoundTrip(req)
	}
	ctx := req.Context()
	deadline := time.Now().Add(t.timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	conn, stop, err := t.dial(ctx, req, deadline)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*http.Response, error) {
		stop()
		conn.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	out := *req // RoundTrip must not change the caller's request
	out.Close = true
	bw := writerPool.Get().(*bufio.Writer)
	bw.Reset(conn)
	err = out.Write(bw)
	if err == nil {
		err = bw.Flush()
	}
	bw.Reset(nil)
	writerPool.Put(bw)
	if err != nil {
		return fail(err)
	}
	br := readerPool.Get().(*bufio.Reader)
	br.Reset(conn)
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		readerPool.Put(br)
		return fail(err)
	}
	resp.Body = &oneShotBody{ReadCloser: resp.Body, conn: conn, br: br, stop: stop}
	return resp, nil
}

// conn is what a one-shot request needs of its connection.
type conn interface {
	io.ReadWriter
	Close() error
}

// maxPolled bounds the requests in flight on pollConns, each holding an OS
// thread while it waits; more (a hung target at a high rate) go through the
// netpoller.
const maxPolled = 64

// dial connects to the request's host, trying its addresses in turn. The
// returned stop ends the connection's watch on the request's context.
func (t *oneShotTransport) dial(ctx context.Context, req *http.Request, deadline time.Time) (conn, func() bool, error) {
	port := req.URL.Port()
	if port == "" {
		port = "80"
	}
	addrs, err := t.resolve(ctx, req.URL.Hostname())
	if err != nil {
		return nil, nil, err
	}
	var first error
	for _, a := range addrs {
		c, stop, err := t.dialAddr(ctx, netip.AddrPortFrom(a, portNumber(port)), deadline)
		if err == nil {
			return c, stop, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, nil, first
}

func portNumber(p string) uint16 {
	n, _ := strconv.ParseUint(p, 10, 16)
	return uint16(n)
}

func (t *oneShotTransport) dialAddr(ctx context.Context, addr netip.AddrPort, deadline time.Time) (conn, func() bool, error) {
	usePoll := pollSupported && !t.netpoller && addr.Addr().Zone() == "" // pollConn takes no IPv6 zones
	if usePoll && t.polled.Add(1) <= maxPolled {
		c, err := dialPoll(ctx, addr, deadline, func() { t.polled.Add(-1) })
		if err != nil {
			return nil, nil, err
		}
		return c, func() bool { return true }, nil
	} else if usePoll {
		t.polled.Add(-1)
	}
	d := t.dialer
	d.Deadline = deadline
	c, err := d.DialContext(ctx, "tcp", addr.String())
	if err != nil {
		return nil, nil, err
	}
	c.SetDeadline(deadline)
	// Cancelling the request (the client's timeout does) aborts any I/O.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return c, stop, nil
}

// resolve returns host's addresses, looked up once per transport.
func (t *oneShotTransport) resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	if v, ok := t.resolved.Load(host); ok {
		return v.([]netip.Addr), nil
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for i := range ips {
		ips[i] = ips[i].Unmap()
	}
	slices.SortStableFunc(ips, func(a, b netip.Addr) int {
		switch {
		case a.Is4() == b.Is4():
			return 0
		case a.Is4():
			return -1
		}
		return 1
	})
	t.resolved.Store(host, ips)
	return ips, nil
}

// oneShotBody closes the connection with the body.
type oneShotBody struct {
	io.ReadCloser
	conn conn
	br   *bufio.Reader
	stop func() bool
	once sync.Once
}

func (b *oneShotBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() {
		b.stop()
		b.conn.Close()
		b.br.Reset(nil)
		readerPool.Put(b.br)
	})
	return err
}

// CloseIdleConnections closes the fallback's idle connections; one-shot
// connections are never idle.
func (t *oneShotTransport) CloseIdleConnections() {
	if c, ok := t.fallback.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
