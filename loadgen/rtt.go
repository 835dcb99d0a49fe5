package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"time"

	"github.com/meshbench/meshbench/cpu"
	"github.com/meshbench/meshbench/results"
)

// RTT modes: netperf's TCP_RR and TCP_CRR.
const (
	// ModeRR is request/response round trips on one established connection:
	// the path's latency without connection set-up.
	ModeRR = "rr"
	// ModeCRR is connect, request, response, close per round trip: what a
	// new connection costs, which is where per-connection policy work shows.
	ModeCRR = "crr"
)

// RTTConfig is one round-trip measurement against a stream server.
type RTTConfig struct {
	// Target is the stream server, host:port.
	Target string
	// Name labels the cell's arm; default the target.
	Name string
	// Mode is ModeRR or ModeCRR.
	Mode string
	// Requests is the number of measured round trips.
	Requests int
	// Warmup round trips run first and are discarded.
	Warmup int
	// MessageSize is the bytes of each request and response; default 1.
	MessageSize int
	// Timeout bounds each round trip (and each connect); default 5 s.
	Timeout time.Duration
	// CPU, when set, samples CPU over the measured round trips.
	CPU *cpu.Options
	// ServerCPU asks the server for its own CPU over the same window.
	ServerCPU bool
}

// Validate reports the first setting out of range.
func (c RTTConfig) Validate() error {
	switch {
	case c.Target == "":
		return errors.New("no target")
	case c.Mode != ModeRR && c.Mode != ModeCRR:
		return fmt.Errorf("mode %q: want rr or crr", c.Mode)
	case c.Requests < 1 || c.Requests > MaxSamples(1):
		return fmt.Errorf("requests %d: want at least 1 and %s", c.Requests, SampleLimit(1))
	case c.Warmup < 0 || c.Warmup > MaxSamples(1):
		return fmt.Errorf("warmup %d: want 0 to %d", c.Warmup, MaxSamples(1))
	case c.MessageSize < 0 || c.MessageSize > maxStreamMessage:
		return fmt.Errorf("message size %d: want 1..%d bytes", c.MessageSize, maxStreamMessage)
	}
	if _, _, err := net.SplitHostPort(c.Target); err != nil {
		return fmt.Errorf("target %q: want HOST:PORT", c.Target)
	}
	return nil
}

// RoundTrips measures cfg.Requests round trips and returns them as a cell
// whose RTT holds every sample in order; the server's connection count for
// the session is recorded so a crr run can show one connection per round trip.
func RoundTrips(ctx context.Context, cfg RTTConfig) (*results.Cell, error) {
	if cfg.MessageSize == 0 {
		cfg.MessageSize = 1
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	if cfg.Name == "" {
		cfg.Name = cfg.Target
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	r := &rttRun{cfg: cfg, session: rand.Uint64(), buf: make([]byte, cfg.MessageSize)}
	out := &results.RTT{Mode: cfg.Mode, Target: cfg.Target, MessageSize: cfg.MessageSize, Requests: cfg.Requests}
	win := &cpuWindow{opts: cfg.CPU, server: cfg.ServerCPU}
	var err error
	started := func() { win.start(ctx, cfg.Target, cfg.Timeout) }
	start := time.Now()
	switch cfg.Mode {
	case ModeRR:
		err = r.rr(ctx, out, started, &start)
	case ModeCRR:
		err = r.crr(ctx, out, started, &start)
	}
	out.Duration = time.Since(start)
	fig, serverFig := win.finish(ctx, cfg.Target, cfg.Timeout)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	st, err := QueryStreamSession(ctx, cfg.Target, r.session, cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("asking %s what it counted: %w", cfg.Target, err)
	}
	out.Connections = st.Connections
	return &results.Cell{
		Arm: cfg.Name, URL: "tcp://" + cfg.Target,
		Size: int64(cfg.MessageSize), SizeLabel: FormatSize(int64(cfg.MessageSize)),
		RTT: out, CPU: fig, ServerCPU: serverFig,
	}, nil
}

type rttRun struct {
	cfg     RTTConfig
	session uint64
	buf     []byte
}

// rr runs every round trip on one connection; a failure ends the run, since
// the connection is the thing measured.
func (r *rttRun) rr(ctx context.Context, out *results.RTT, started func(), start *time.Time) error {
	d := net.Dialer{Timeout: r.cfg.Timeout}
	c, err := d.DialContext(ctx, "tcp", r.cfg.Target)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	if _, err := c.Write(streamHeader{Mode: modeRR, Session: r.session, Size: uint32(r.cfg.MessageSize)}.marshal()); err != nil {
		return err
	}
	out.SamplesNs = make([]int64, 0, r.cfg.Requests)
	for i := range r.cfg.Warmup + r.cfg.Requests {
		if i == r.cfg.Warmup {
			started()
			*start = time.Now()
		}
		c.SetDeadline(time.Now().Add(r.cfg.Timeout))
		t0 := time.Now()
		if _, err := c.Write(r.buf); err != nil {
			return fmt.Errorf("round trip %d: %w", i+1, err)
		}
		if _, err := io.ReadFull(c, r.buf); err != nil {
			return fmt.Errorf("round trip %d: %w", i+1, err)
		}
		if i >= r.cfg.Warmup {
			out.SamplesNs = append(out.SamplesNs, time.Since(t0).Nanoseconds())
		}
	}
	// Half-close and wait for the server's close, so the session's counts
	// include this connection when the client asks for them.
	c.(*net.TCPConn).CloseWrite()
	c.SetDeadline(time.Now().Add(r.cfg.Timeout))
	io.Copy(io.Discard, c)
	return nil
}

// crr opens a connection per round trip; failures are counted by kind and the
// run goes on, as a user's new connections would.
func (r *rttRun) crr(ctx context.Context, out *results.RTT, started func(), start *time.Time) error {
	msg := append(streamHeader{Mode: modeCRR, Session: r.session, Size: uint32(r.cfg.MessageSize)}.marshal(), r.buf...)
	// Warm-up connections go to another session, so the server's count for
	// the measured session is one connection per measured round trip.
	warm := append(streamHeader{Mode: modeCRR, Session: r.session ^ 1, Size: uint32(r.cfg.MessageSize)}.marshal(), r.buf...)
	d := net.Dialer{Timeout: r.cfg.Timeout}
	out.SamplesNs = make([]int64, 0, r.cfg.Requests)
	for i := range r.cfg.Warmup + r.cfg.Requests {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if i == r.cfg.Warmup {
			started()
			*start = time.Now()
		}
		m := msg
		if i < r.cfg.Warmup {
			m = warm
		}
		t0 := time.Now()
		c, err := r.oneCRR(ctx, &d, m)
		took := time.Since(t0)
		if c != nil {
			// The server counts the connection before it closes it: waiting
			// for its close (outside the sample) makes the session's
			// counts complete when the run asks for them.
			io.Copy(io.Discard, c)
			c.Close()
		}
		if i < r.cfg.Warmup {
			continue
		}
		if err != nil {
			if out.Errors == nil {
				out.Errors = map[string]int{}
			}
			out.Errors[transportErrorKind(err.Error())]++
			continue
		}
		out.SamplesNs = append(out.SamplesNs, took.Nanoseconds())
	}
	return nil
}

// oneCRR connects, sends the request and reads the answer; the connection
// is returned open (nil when the connect failed).
func (r *rttRun) oneCRR(ctx context.Context, d *net.Dialer, msg []byte) (net.Conn, error) {
	c, err := d.DialContext(ctx, "tcp", r.cfg.Target)
	if err != nil {
		return nil, err
	}
	c.SetDeadline(time.Now().Add(r.cfg.Timeout))
	if _, err := c.Write(msg); err != nil {
		return c, err
	}
	_, err = io.ReadFull(c, r.buf)
	return c, err
}
