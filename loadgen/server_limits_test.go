package loadgen

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// dial opens a raw TCP connection to a server's base URL or address.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(addr, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByPeer waits up to 10 s for the server to close c; it fails the
// test if c is still open then.
func closedByPeer(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: the server still holds the connection 10 s later", what)
	}
}

// A kept-alive connection that idles is closed after the idle timeout.
func TestServerClosesIdleKeepAliveConnections(t *testing.T) {
	base := startServer(t, NewServer(WithLimits(16, 300*time.Millisecond)))
	c := dial(t, base)
	io.WriteString(c, "GET /bytes/1k HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(resp.Body); len(b) != 1000 || resp.Close {
		t.Fatalf("%d bytes, close %v; want 1000 on a kept-alive connection", len(b), resp.Close)
	}
	closedByPeer(t, c, "an idle kept-alive connection")
}

// Beyond the connection limit new connections wait; once one closes, the
// next is served, and answered correctly.
func TestServerHoldsAtMostMaxConns(t *testing.T) {
	s := NewServer(WithLimits(2, 10*time.Second))
	base := startServer(t, s)
	first, _, third := dial(t, base), dial(t, base), dial(t, base)
	waitFor(t, func() bool { return s.Stats().NewConnections == 2 }, "two connections accepted")
	time.Sleep(200 * time.Millisecond)
	if n := s.Stats().NewConnections; n != 2 {
		t.Fatalf("%d connections accepted with a limit of 2", n)
	}
	first.Close()
	io.WriteString(third, "GET /bytes/100 HTTP/1.1\r\nHost: x\r\n\r\n")
	third.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(third), nil)
	if err != nil {
		t.Fatalf("the waiting connection was not served after another closed: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != 200 || len(b) != 100 {
		t.Errorf("status %d, %d bytes; want 200 and 100", resp.StatusCode, len(b))
	}
}

// A client that stops reading a large body does not hold the handler: the
// write stalls past the idle timeout and the response is cut short.
func TestServerEndsAResponseNobodyReads(t *testing.T) {
	base := startServer(t, NewServer(WithLimits(16, 300*time.Millisecond)))
	c := dial(t, base)
	io.WriteString(c, "GET /bytes/200M HTTP/1.1\r\nHost: x\r\n\r\n")
	time.Sleep(2 * time.Second) // far more than loopback's socket buffers hold
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	n, _ := io.Copy(io.Discard, c)
	if n >= 200_000_000 {
		t.Errorf("read %d bytes: the server kept writing to a client that had stopped reading", n)
	}
}

func waitFor(t *testing.T, ok func() bool, what string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10 s for %s", what)
		}
	}
}

// Headers asking for the largest messages cost the server no buffer of
// that size per connection, and it keeps answering others correctly.
func TestStreamServerBoundsMemoryPerConnection(t *testing.T) {
	addr, _ := startStreamServer(t)
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const conns = 40
	for range conns {
		c := dial(t, addr)
		c.Write(streamHeader{Mode: modeRR, Session: 7, Size: maxStreamMessage}.marshal())
		c.Write([]byte{1}) // into the message: the server is reading it
	}
	time.Sleep(500 * time.Millisecond)
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	// One shared 16 MiB payload at most, and small buffers per connection;
	// before, every connection held 16 MiB (640 MiB here).
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 64<<20 {
		t.Errorf("%d connections asking for 16 MiB messages grew the heap by %d MiB", conns, grown>>20)
	}
	for _, size := range []int{1, maxStreamMessage} {
		cell, err := RoundTrips(context.Background(), RTTConfig{Target: addr, Mode: ModeRR, Requests: 2, MessageSize: size})
		if err != nil || len(cell.RTT.SamplesNs) != 2 {
			t.Errorf("rr of %d-byte messages beside them: %v", size, err)
		}
	}
}

// Beyond its connection limit the stream server closes new connections at
// once (the idle timeout here is far longer than the test waits).
func TestStreamServerRefusesConnectionsBeyondItsLimit(t *testing.T) {
	addr, _ := startStreamServer(t, WithStreamLimits(3, time.Minute))
	for range 3 {
		dial(t, addr).Write(streamHeader{Mode: modeSink, Session: 1}.marshal())
	}
	over := dial(t, addr)
	over.Write(streamHeader{Mode: modeSink, Session: 1}.marshal())
	closedByPeer(t, over, "a connection beyond the limit")
}

// A connection that makes no progress is closed: a sink that sends
// nothing, and a source nobody reads (the server records each connection
// when its handler ends).
func TestStreamServerClosesStalledConnections(t *testing.T) {
	addr, srv := startStreamServer(t, WithStreamLimits(16, 300*time.Millisecond))
	idle := dial(t, addr)
	idle.Write(streamHeader{Mode: modeSink, Session: 2}.marshal())
	closedByPeer(t, idle, "an idle sink")
	stalled := dial(t, addr)
	stalled.(*net.TCPConn).SetReadBuffer(4096)
	stalled.Write(streamHeader{Mode: modeSource, Session: 3, Size: 1 << 20}.marshal())
	waitFor(t, func() bool { return srv.session(3).Connections == 1 }, "the stalled source to end")
}
