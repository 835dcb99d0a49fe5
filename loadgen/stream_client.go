package loadgen

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/meshbench/meshbench/cpu"
	"github.com/meshbench/meshbench/results"
)

// StreamConfig is one stream measurement: Parallel connections sending (or,
// Reverse, receiving) for Omit plus Duration.
type StreamConfig struct {
	// Target is the stream server, host:port.
	Target string
	// Name labels the cell's arm; default the target.
	Name string
	// Duration is the measured time, after Omit.
	Duration time.Duration
	// Parallel is the number of connections.
	Parallel int
	// Reverse makes the server send and the client receive.
	Reverse bool
	// Omit is the start-up time left out of every figure (TCP slow start).
	Omit time.Duration
	// WriteSize is the size of each write; default 128 KiB like iperf3.
	WriteSize int
	// Interval is the reporting interval; default one second.
	Interval time.Duration
	// DialTimeout bounds each connect; default 5 s.
	DialTimeout time.Duration
	// OnInterval, when set, is called after every interval, omitted ones included.
	OnInterval func(StreamInterval)
	// CPU, when set, samples CPU over the measured window into the cell.
	CPU *cpu.Options
	// ServerCPU asks the server for its node's and its cgroup's CPU at the
	// start and end of the measured window, into the cell's ServerCPU.
	ServerCPU bool
}

// StreamInterval is one interval as it completes.
type StreamInterval struct {
	results.ThroughputInterval
	// Offset is the interval's start from the beginning of the run (omitted time included).
	Offset   time.Duration
	Omitted  bool
	Parallel int
}

func (c *StreamConfig) defaults() {
	if c.WriteSize == 0 {
		c.WriteSize = 128 << 10
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.DialTimeout == 0 {
		c.DialTimeout = 5 * time.Second
	}
	if c.Name == "" {
		c.Name = c.Target
	}
}

// Validate reports the first setting out of range.
func (c StreamConfig) Validate() error {
	switch {
	case c.Target == "":
		return errors.New("no target")
	case c.Duration <= 0:
		return fmt.Errorf("duration %v: want a positive duration", c.Duration)
	case c.Parallel < 1 || c.Parallel > MaxStreamParallel:
		return fmt.Errorf("parallel %d: want 1 to %d connections", c.Parallel, MaxStreamParallel)
	case c.Omit < 0:
		return fmt.Errorf("omit %v: want zero or a positive duration", c.Omit)
	case c.WriteSize < 0 || c.WriteSize > maxStreamMessage:
		return fmt.Errorf("write size %d: want 1..%d bytes", c.WriteSize, maxStreamMessage)
	case c.Interval < 0:
		return fmt.Errorf("interval %v: want a positive duration", c.Interval)
	}
	if _, _, err := net.SplitHostPort(c.Target); err != nil {
		return fmt.Errorf("target %q: want HOST:PORT", c.Target)
	}
	return nil
}

// streamConn is one connection of a measurement and what it moved.
type streamConn struct {
	c       net.Conn
	bytes   atomic.Int64 // until the deadline, omitted start included
	drained int64        // received after the deadline (reverse)
	err     error
	info    TCPInfo
	infoOK  bool
	// snapshots taken by the interval loop
	atOmit   int64
	lastRetr int64
}

// Stream runs one stream measurement against a `meshbench serve
// --stream-port` server and returns it as a cell: the throughput with its
// intervals, the server's own counts for the same session, and the CPU over
// the measured window when cfg.CPU is set.
func Stream(ctx context.Context, cfg StreamConfig) (*results.Cell, error) {
	cfg.defaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	session := rand.Uint64()
	mode, dir := modeSink, "send"
	if cfg.Reverse {
		mode, dir = modeSource, "reverse"
	}
	conns, err := dialStreams(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, sc := range conns {
			sc.c.Close()
		}
	}()

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	end := start.Add(cfg.Omit + cfg.Duration)
	// Cancellation (Ctrl-C or a failed connection) ends the run now.
	stopNow := context.AfterFunc(runCtx, func() {
		for _, sc := range conns {
			sc.c.SetDeadline(time.Now())
		}
	})
	defer stopNow()

	var measuring, draining sync.WaitGroup
	hdr := streamHeader{Mode: mode, Session: session, Size: uint32(cfg.WriteSize)}.marshal()
	for _, sc := range conns {
		measuring.Add(1)
		draining.Add(1)
		go func() {
			defer draining.Done()
			sc.run(hdr, cfg, end, measuring.Done)
			if sc.err != nil {
				cancel()
			}
		}()
	}

	th := &results.Throughput{
		Parallel: cfg.Parallel, Direction: dir, Target: cfg.Target,
		WriteSize: cfg.WriteSize, Omit: cfg.Omit, RetransmitsBy: "client",
	}
	if cfg.Reverse {
		th.RetransmitsBy = "server"
	}
	win := measureIntervals(runCtx, cfg, conns, start, th, &measuring)
	cpuFig, serverCPU := win.finish(ctx, cfg.Target, cfg.DialTimeout)
	draining.Wait()

	for _, sc := range conns {
		if sc.err != nil {
			return nil, fmt.Errorf("stream to %s: %w", cfg.Target, sc.err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, sc := range conns {
		th.WireBytes += sc.bytes.Load() + sc.drained
		th.Streams = append(th.Streams, results.StreamConn{
			Bytes: sc.bytes.Load() - sc.atOmit, Retransmits: sc.info.Retransmits,
			RTT: sc.info.RTT, RTTVar: sc.info.RTTVar, Cwnd: sc.info.Cwnd, MSS: sc.info.MSS,
		})
	}
	if !cfg.Reverse {
		for _, iv := range th.Intervals {
			th.Retransmits += iv.Retransmits
		}
	}
	st, err := QueryStreamSession(ctx, cfg.Target, session, cfg.DialTimeout)
	if err != nil {
		return nil, fmt.Errorf("asking %s what it counted: %w", cfg.Target, err)
	}
	th.Connections = st.Connections
	th.ServerBytes = st.BytesReceived
	if cfg.Reverse {
		th.ServerBytes = st.BytesSent
		th.Retransmits = st.Retransmits
	}
	return &results.Cell{
		Arm:        cfg.Name,
		URL:        "tcp://" + cfg.Target,
		Size:       int64(cfg.WriteSize),
		SizeLabel:  FormatSize(int64(cfg.WriteSize)),
		Throughput: th,
		CPU:        cpuFig,
		ServerCPU:  serverCPU,
	}, nil
}

func dialStreams(ctx context.Context, cfg StreamConfig) ([]*streamConn, error) {
	d := net.Dialer{Timeout: cfg.DialTimeout}
	var conns []*streamConn
	for range cfg.Parallel {
		c, err := d.DialContext(ctx, "tcp", cfg.Target)
		if err != nil {
			for _, sc := range conns {
				sc.c.Close()
			}
			return nil, err
		}
		conns = append(conns, &streamConn{c: c})
	}
	return conns, nil
}

// run moves bytes until end, calls measured, then half-closes and reads to
// the server's close: the server counts a connection before closing it, so
// afterwards the session's counts are complete.
func (sc *streamConn) run(hdr []byte, cfg StreamConfig, end time.Time, measured func()) {
	c := sc.c
	c.SetDeadline(end)
	buf := make([]byte, cfg.WriteSize)
	_, err := c.Write(hdr)
	if err == nil {
		if cfg.Reverse {
			err = sc.receive(buf)
		} else {
			err = sc.send(buf)
		}
	}
	measured()
	if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		sc.err = err
		return
	}
	sc.info, sc.infoOK = ReadTCPInfo(c)
	c.SetDeadline(time.Now().Add(drainTimeout))
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	for {
		n, err := c.Read(buf)
		sc.drained += int64(n)
		if err == io.EOF {
			return
		}
		if err != nil {
			sc.err = fmt.Errorf("waiting for the server to finish: %w", err)
			return
		}
	}
}

// drainTimeout bounds the wait for the server to finish after the deadline.
const drainTimeout = 30 * time.Second

func (sc *streamConn) send(buf []byte) error {
	for i := range buf {
		buf[i] = byte(i)
	}
	for {
		n, err := sc.c.Write(buf)
		sc.bytes.Add(int64(n))
		if err != nil {
			return err
		}
	}
}

func (sc *streamConn) receive(buf []byte) error {
	for {
		n, err := sc.c.Read(buf)
		sc.bytes.Add(int64(n))
		if err != nil {
			if err == io.EOF {
				return errors.New("the server closed the stream early")
			}
			return err
		}
	}
}

// ServerCPUSnapshot asks a stream server for its node's and its own
// cgroup's cumulative CPU counters now.
func ServerCPUSnapshot(ctx context.Context, target string, timeout time.Duration) (cpu.Snapshot, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return cpu.Snapshot{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(streamHeader{Mode: modeCPU}.marshal()); err != nil {
		return cpu.Snapshot{}, err
	}
	var snap cpu.Snapshot
	if err := json.NewDecoder(c).Decode(&snap); err != nil {
		return cpu.Snapshot{}, errors.New("the server does not report its CPU")
	}
	return snap, nil
}

// QueryStreamSession asks a stream server what it counted for one session.
func QueryStreamSession(ctx context.Context, target string, session uint64, timeout time.Duration) (StreamStats, error) {
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, "tcp", target)
	if err != nil {
		return StreamStats{}, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.Write(streamHeader{Mode: modeQuery, Session: session}.marshal()); err != nil {
		return StreamStats{}, err
	}
	var st StreamStats
	if err := json.NewDecoder(c).Decode(&st); err != nil {
		return StreamStats{}, errStreamServer
	}
	return st, nil
}
