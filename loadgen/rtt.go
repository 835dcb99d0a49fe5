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

// MaxRTTRate bounds RTTConfig.Rate: beyond it a round trip's own time is
// longer than its share of a second, and the pacing means nothing.
const MaxRTTRate = 100000

// pacer spaces round trips 1/rate apart; the zero rate does not wait. A
// round trip that comes late (a slow connect before it) moves the schedule
// on rather than having the next ones catch up back to back: spacing is
// what pacing is for.
type pacer struct {
	start time.Time
	every time.Duration
}

func newPacer(rate float64) *pacer {
	if rate <= 0 {
		return &pacer{}
	}
	return &pacer{start: time.Now(), every: time.Duration(float64(time.Second) / rate)}
}

// wait returns when round trip k (from 0) is due, or when ctx ends.
func (p *pacer) wait(ctx context.Context, k int) {
	if p.every == 0 {
		return
	}
	due := p.start.Add(time.Duration(k) * p.every)
	if late := time.Since(due); late > 0 {
		p.start = p.start.Add(late)
		return
	}
	if left := time.Until(due); left > time.Millisecond {
		t := time.NewTimer(left - time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
	waitUntil(due)
}

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
	// Rate paces the round trips (warm-up included) at this many per
	// second; 0 runs them back to back. Paced, a crr connection meets the
	// datapath as an HTTP client's connections do, some milliseconds
	// apart, rather than on the heels of the previous one.
	Rate float64
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
	case !(c.Rate >= 0 && c.Rate <= MaxRTTRate):
		return fmt.Errorf("rate %g: want 0 (back to back) to %d round trips per second", c.Rate, MaxRTTRate)
	case c.MessageSize < 0 || c.MessageSize > maxStreamMessage:
		return fmt.Errorf("message size %d: want 1..%d bytes", c.MessageSize, maxStreamMessage)
	}
	if _, _, err := net.SplitHostPort(c.Target); err != nil {
		return fmt.Errorf("target %q: want HOST:PORT", c.Target)
	}
	return nil
}

// withDefaults fills what c leaves zero: 1-byte messages, a 5 s timeout,
// the target as the arm's name.
func (c RTTConfig) withDefaults() RTTConfig {
	if c.MessageSize == 0 {
		c.MessageSize = 1
	}
	if c.Timeout == 0 {
		c.Timeout = 5 * time.Second
	}
	if c.Name == "" {
		c.Name = c.Target
	}
	return c
}

// RoundTrips measures cfg.Requests round trips and returns them as a cell
// whose RTT holds every sample in order; the server's connection count for
// the session is recorded so a crr run can show one connection per round trip.
func RoundTrips(ctx context.Context, cfg RTTConfig) (*results.Cell, error) {
	cfg = cfg.withDefaults()
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
	return r.cell(ctx, out, fig, serverFig)
}

// cell asks the server what the run's session counted and returns the
// run's cell.
func (r *rttRun) cell(ctx context.Context, out *results.RTT, fig, serverFig *results.CPU) (*results.Cell, error) {
	st, err := QueryStreamSession(ctx, r.cfg.Target, r.session, r.cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("asking %s what it counted: %w", r.cfg.Target, err)
	}
	out.Connections = st.Connections
	return &results.Cell{
		Arm: r.cfg.Name, URL: "tcp://" + r.cfg.Target,
		Size: int64(r.cfg.MessageSize), SizeLabel: FormatSize(int64(r.cfg.MessageSize)),
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
	pace := newPacer(r.cfg.Rate)
	for i := range r.cfg.Warmup + r.cfg.Requests {
		if i == r.cfg.Warmup {
			started()
			*start = time.Now()
		}
		pace.wait(ctx, i)
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
	d := net.Dialer{Timeout: r.cfg.Timeout}
	out.SamplesNs = make([]int64, 0, r.cfg.Requests)
	pace := newPacer(r.cfg.Rate)
	for i := range r.cfg.Warmup + r.cfg.Requests {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if i == r.cfg.Warmup {
			started()
			*start = time.Now()
		}
		pace.wait(ctx, i)
		r.crrRoundTrip(ctx, &d, out, i < r.cfg.Warmup)
	}
	return nil
}

// crrRoundTrip makes one crr round trip and files it in out, or only makes
// it when it is a warm-up's. Warm-up connections go to another session, so
// the server's count for the measured session is one connection per
// measured round trip.
func (r *rttRun) crrRoundTrip(ctx context.Context, d *net.Dialer, out *results.RTT, warmup bool) {
	session := r.session
	if warmup {
		session ^= 1
	}
	msg := append(streamHeader{Mode: modeCRR, Session: session, Size: uint32(r.cfg.MessageSize)}.marshal(), r.buf...)
	t0 := time.Now()
	c, err := r.oneCRR(ctx, d, msg)
	took := time.Since(t0)
	if c != nil {
		// The server counts the connection before it closes it: waiting
		// for its close (outside the sample) makes the session's counts
		// complete when the run asks for them.
		io.Copy(io.Discard, c)
		c.Close()
	}
	switch {
	case warmup:
	case err != nil:
		if out.Errors == nil {
			out.Errors = map[string]int{}
		}
		out.Errors[transportErrorKind(err.Error())]++
	default:
		out.SamplesNs = append(out.SamplesNs, took.Nanoseconds())
	}
}

// AlternatingCRR measures crr round trips to several stream servers in one
// run, one round trip to each in turn (warm-ups first, the same way), and
// returns a cell per server in cfgs' order. A target and its control
// measured this way share every moment of the run, so drift (the machine's
// load, an engine's rewrite) weighs on both alike; measured one after the
// other, their difference would carry it. Every config must ask for crr
// and the same round trips, and none for CPU: CPU figures need a window of
// their own.
func AlternatingCRR(ctx context.Context, cfgs []RTTConfig) ([]*results.Cell, error) {
	if len(cfgs) < 2 {
		return nil, errors.New("alternating round trips: want at least two targets")
	}
	runs := make([]*rttRun, len(cfgs))
	outs := make([]*results.RTT, len(cfgs))
	for i, cfg := range cfgs {
		cfg = cfg.withDefaults()
		switch err := cfg.Validate(); {
		case err != nil:
			return nil, fmt.Errorf("target %s: %w", cfg.Name, err)
		case cfg.Mode != ModeCRR:
			return nil, fmt.Errorf("target %s: alternating round trips are crr's, not %s", cfg.Name, cfg.Mode)
		case cfg.CPU != nil || cfg.ServerCPU:
			return nil, fmt.Errorf("target %s: CPU is not sampled in alternating round trips (each target needs a window of its own)", cfg.Name)
		case cfg.Requests != cfgs[0].Requests || cfg.Warmup != cfgs[0].Warmup || cfg.Rate != cfgs[0].Rate:
			return nil, fmt.Errorf("target %s: %d round trips after %d warm-up ones at rate %g; want the first target's %d after %d at %g", cfg.Name, cfg.Requests, cfg.Warmup, cfg.Rate, cfgs[0].Requests, cfgs[0].Warmup, cfgs[0].Rate)
		}
		runs[i] = &rttRun{cfg: cfg, session: rand.Uint64(), buf: make([]byte, cfg.MessageSize)}
		outs[i] = &results.RTT{Mode: cfg.Mode, Target: cfg.Target, MessageSize: cfg.MessageSize, Requests: cfg.Requests, SamplesNs: make([]int64, 0, cfg.Requests), Alternated: true}
	}
	dialers := make([]net.Dialer, len(runs))
	for i, r := range runs {
		dialers[i].Timeout = r.cfg.Timeout
	}
	n := cfgs[0].Warmup + cfgs[0].Requests
	var start time.Time
	// Each target gets Rate round trips a second, as an HTTP client's
	// --rate is per target, and every round trip is due its own slot,
	// evenly spaced: were a turn's round trips to follow each other, the
	// first would always meet a datapath idle since the last turn and the
	// others one just used, and their difference would be that.
	pace := newPacer(cfgs[0].Rate * float64(len(runs)))
	for k := range n {
		if k == cfgs[0].Warmup {
			start = time.Now()
		}
		for i, r := range runs {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			pace.wait(ctx, k*len(runs)+i)
			r.crrRoundTrip(ctx, &dialers[i], outs[i], k < r.cfg.Warmup)
		}
	}
	if start.IsZero() {
		start = time.Now()
	}
	took := time.Since(start)
	cells := make([]*results.Cell, len(runs))
	for i, r := range runs {
		outs[i].Duration = took
		c, err := r.cell(ctx, outs[i], nil, nil)
		if err != nil {
			return nil, err
		}
		cells[i] = c
	}
	return cells, nil
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
