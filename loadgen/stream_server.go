package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshbench/meshbench/cpu"
)

// StreamStats are what a stream server counted: in total (Stats) or for one
// measurement's session (the query mode).
type StreamStats struct {
	// Connections is the number of stream, rr and crr connections accepted (queries excluded).
	Connections   int64 `json:"connections"`
	BytesReceived int64 `json:"bytesReceived"`
	BytesSent     int64 `json:"bytesSent"`
	// Transactions counts rr and crr request/response exchanges.
	Transactions int64 `json:"transactions"`
	// Retransmits are the server's retransmitted segments on connections it
	// sent bulk data on (source mode), read from TCP_INFO at their end.
	Retransmits int64 `json:"retransmits"`
}

func (s *StreamStats) add(o StreamStats) {
	s.Connections += o.Connections
	s.BytesReceived += o.BytesReceived
	s.BytesSent += o.BytesSent
	s.Transactions += o.Transactions
	s.Retransmits += o.Retransmits
}

// StreamServer serves raw TCP streams as sink and source, and answers rr and
// crr round trips; see stream_proto.go for the protocol.
type StreamServer struct {
	delay    time.Duration
	readSize int
	cgroup   string // whose cpu.stat the cpu mode reports; "" = none

	// maxConns and idle bound what clients can hold: connections open at
	// once, and how long one may stall a read or a write.
	maxConns int
	idle     time.Duration

	mu       sync.Mutex
	total    StreamStats
	sessions map[uint64]*StreamStats
	order    []uint64 // sessions by first use, to forget the oldest
	conns    map[net.Conn]struct{}
	closing  bool
}

// StreamOption configures a StreamServer.
type StreamOption func(*StreamServer)

// WithStreamDelay makes the server wait d before every rr and crr answer, the
// same injected delay `meshbench serve --delay` gives HTTP responses.
func WithStreamDelay(d time.Duration) StreamOption { return func(s *StreamServer) { s.delay = d } }

// WithStreamReadSize sets the sink's read buffer (default 128 KiB, iperf3's).
func WithStreamReadSize(n int) StreamOption { return func(s *StreamServer) { s.readSize = n } }

// WithStreamCgroup sets the cgroup directory whose CPU the server reports
// to clients (default its own, cpu.OwnCgroup; "" for none).
func WithStreamCgroup(dir string) StreamOption { return func(s *StreamServer) { s.cgroup = dir } }

// WithStreamLimits sets how many connections the server holds at once
// (more are closed at once) and how long a connection may go without
// progress in a read or a write before it is closed (defaults
// DefaultStreamMaxConns, DefaultStreamIdleTimeout).
func WithStreamLimits(maxConns int, idle time.Duration) StreamOption {
	return func(s *StreamServer) { s.maxConns, s.idle = maxConns, idle }
}

// Defaults of WithStreamLimits. Each connection holds at most a read
// buffer (128 KiB) of its own, so 512 connections bound the server's
// buffers to 64 MiB; larger messages and writes come from one shared,
// read-only payload.
const (
	DefaultStreamMaxConns    = 512
	DefaultStreamIdleTimeout = time.Minute
)

// maxSessions bounds the per-session counters a long-lived server keeps.
const maxSessions = 4096

// NewStreamServer returns a server; run it with Serve.
func NewStreamServer(opts ...StreamOption) *StreamServer {
	s := &StreamServer{
		readSize: 128 << 10, maxConns: DefaultStreamMaxConns, idle: DefaultStreamIdleTimeout,
		sessions: map[uint64]*StreamStats{}, conns: map[net.Conn]struct{}{},
	}
	s.cgroup, _ = cpu.OwnCgroup()
	for _, o := range opts {
		o(s)
	}
	return s
}

// Stats returns what the server counted since it started.
func (s *StreamServer) Stats() StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// Serve accepts connections on ln until ctx ends, then closes ln and every
// open connection and waits for their handlers. It returns nil when ctx ended.
func (s *StreamServer) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		s.mu.Lock()
		s.closing = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	})
	defer stop()
	var err error
	for {
		var c net.Conn
		c, err = ln.Accept()
		if err != nil {
			break
		}
		if !s.track(c, true) {
			c.Close()
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer s.track(c, false)
			defer c.Close()
			s.handle(c)
		}()
	}
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// track adds or removes an open connection so shutdown can close it; it
// refuses a connection accepted after shutdown began or beyond the
// connection limit.
func (s *StreamServer) track(c net.Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		if s.closing || len(s.conns) >= s.maxConns {
			return false
		}
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
	return true
}

// headerTimeout bounds how long a connection may take to say what it is for.
const headerTimeout = 10 * time.Second

func (s *StreamServer) handle(c net.Conn) {
	c.SetReadDeadline(time.Now().Add(headerTimeout))
	h, err := readStreamHeader(c)
	if err != nil {
		return
	}
	c.SetReadDeadline(time.Time{})
	c.SetWriteDeadline(time.Now().Add(s.idle))
	switch h.Mode {
	case modeQuery:
		json.NewEncoder(c).Encode(s.session(h.Session))
		return
	case modeCPU:
		if snap, err := cpu.Take("", s.cgroup); err == nil {
			json.NewEncoder(c).Encode(snap)
		}
		return
	}
	var st StreamStats
	switch h.Mode {
	case modeSink:
		st = s.sink(c)
	case modeSource:
		st = s.source(c, int(h.Size))
	case modeRR:
		st = s.roundTrips(c, int(h.Size), false)
	case modeCRR:
		st = s.roundTrips(c, int(h.Size), true)
	}
	st.Connections = 1
	// Count before the connection closes: a client that saw the close can
	// query the session and find this connection in it.
	s.record(h.Session, st)
}

// sink reads and discards until the client half-closes.
func (s *StreamServer) sink(c net.Conn) StreamStats {
	buf := make([]byte, s.readSize)
	var n int64
	for {
		c.SetReadDeadline(time.Now().Add(s.idle))
		k, err := c.Read(buf)
		n += int64(k)
		if err != nil {
			break
		}
	}
	return StreamStats{BytesReceived: n}
}

// source writes size-byte buffers until the client half-closes (or goes away).
// The client keeps reading until the server closes, so every byte counted
// here is a byte the client received.
func (s *StreamServer) source(c net.Conn, size int) StreamStats {
	var stop atomic.Bool
	go func() {
		var b [512]byte
		for {
			if _, err := c.Read(b[:]); err != nil {
				stop.Store(true)
				return
			}
		}
	}()
	buf := streamPayload()[:size]
	var n int64
	for !stop.Load() {
		c.SetWriteDeadline(time.Now().Add(s.idle))
		k, err := c.Write(buf)
		n += int64(k)
		if err != nil {
			break
		}
	}
	st := StreamStats{BytesSent: n}
	if info, ok := ReadTCPInfo(c); ok {
		st.Retransmits = info.Retransmits
	}
	return st
}

// roundTrips answers each size-byte message with one of the same size after
// the injected delay; crr answers once. A message is read in pieces of at
// most 64 KiB and answered from the shared payload, so a header asking for
// 16 MiB messages costs the server no 16 MiB of its own.
func (s *StreamServer) roundTrips(c net.Conn, size int, once bool) StreamStats {
	buf := make([]byte, min(size, 64<<10))
	var st StreamStats
	for {
		c.SetReadDeadline(time.Now().Add(s.idle))
		if err := discardFull(c, buf, size); err != nil {
			break
		}
		st.BytesReceived += int64(size)
		if s.delay > 0 {
			waitUntil(time.Now().Add(s.delay))
		}
		c.SetWriteDeadline(time.Now().Add(s.idle))
		k, err := c.Write(streamPayload()[:size])
		st.BytesSent += int64(k)
		if err != nil {
			break
		}
		st.Transactions++
		if once {
			break
		}
	}
	return st
}

// discardFull reads exactly n bytes from r through buf.
func discardFull(r io.Reader, buf []byte, n int) error {
	for n > 0 {
		k, err := io.ReadFull(r, buf[:min(n, len(buf))])
		n -= k
		if err != nil {
			return err
		}
	}
	return nil
}

// streamPayload is what the server sends: one read-only buffer of the
// largest message, shared by every connection.
var streamPayload = sync.OnceValue(func() []byte {
	b := make([]byte, maxStreamMessage)
	for i := range b {
		b[i] = byte(i)
	}
	return b
})

func (s *StreamServer) record(id uint64, st StreamStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.total.add(st)
	ss, ok := s.sessions[id]
	if !ok {
		if len(s.order) >= maxSessions {
			delete(s.sessions, s.order[0])
			s.order = s.order[1:]
		}
		ss = &StreamStats{}
		s.sessions[id] = ss
		s.order = append(s.order, id)
	}
	ss.add(st)
}

func (s *StreamServer) session(id uint64) StreamStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[id]; ok {
		return *ss
	}
	return StreamStats{}
}

// errStreamServer is what a client reports when the peer is not a stream server.
var errStreamServer = errors.New("the target did not answer as a meshbench stream server (is it `meshbench serve --stream-port`?)")
