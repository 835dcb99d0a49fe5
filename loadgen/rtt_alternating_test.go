package loadgen

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/meshbench/meshbench/internal/loopbacktest"
)

// slowAfter is a listener that answers late once the listeners sharing
// accepted have accepted more than after connections in all: a step of
// drift in the middle of a run, as a machine's load or an engine's rewrite
// makes one.
type slowAfter struct {
	net.Listener
	accepted *atomic.Int64
	after    int64
	delay    time.Duration
}

func (l slowAfter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil && l.accepted.Add(1) > l.after {
		time.Sleep(l.delay)
	}
	return c, err
}

// serveStreamOn runs a stream server on a loopback listener that wrap
// makes of it, until the test ends, and returns its address.
func serveStreamOn(t *testing.T, wrap func(net.Listener) net.Listener) string {
	t.Helper()
	return loopbacktest.Serve(t, func(ctx context.Context, ln net.Listener) { NewStreamServer().Serve(ctx, wrap(ln)) })
}

func startDriftingServer(t *testing.T, accepted *atomic.Int64, after int64, delay time.Duration) string {
	return serveStreamOn(t, func(ln net.Listener) net.Listener { return slowAfter{ln, accepted, after, delay} })
}

// Two servers turn slow halfway through a run, when a target measured
// before its control would have had all its round trips and the control
// none: alternating, each arm gets half of each, so the drift weighs on
// both alike. Every measured round trip is one connection on its server.
func TestAlternatingCRRSharesDrift(t *testing.T) {
	const requests, warmup, delay = 100, 10, 5 * time.Millisecond
	var accepted atomic.Int64
	half := int64(requests + warmup) // a sequential run's target has had all its connections here
	target := startDriftingServer(t, &accepted, half, delay)
	control := startDriftingServer(t, &accepted, half, delay)
	cells, err := AlternatingCRR(context.Background(), []RTTConfig{
		{Target: target, Name: "target", Mode: ModeCRR, Requests: requests, Warmup: warmup},
		{Target: control, Name: "control", Mode: ModeCRR, Requests: requests, Warmup: warmup},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, name := range []string{"target", "control"} {
		c := cells[i]
		if c.Arm != name || c.RTT.Mode != ModeCRR || len(c.RTT.SamplesNs) != requests || c.RTT.Connections != requests {
			t.Fatalf("cell %d: arm %q, mode %q, %d samples, %d connections; want %s, crr, %d and %d", i, c.Arm, c.RTT.Mode, len(c.RTT.SamplesNs), c.RTT.Connections, name, requests, requests)
		}
		slow := 0
		for _, ns := range c.RTT.SamplesNs {
			if time.Duration(ns) >= delay {
				slow++
			}
		}
		t.Logf("%s: %d of %d round trips after the drift", name, slow, requests)
		if slow < requests*3/10 || slow > requests*7/10 {
			t.Errorf("%s: %d of %d round trips slow; want about half (the arms alternate, so each shares the drift)", name, slow, requests)
		}
	}
}

func TestAlternatingCRRRefuses(t *testing.T) {
	a, _ := startStreamServer(t)
	b, _ := startStreamServer(t)
	for _, tc := range []struct {
		cfgs []RTTConfig
		want string
	}{
		{[]RTTConfig{{Target: a, Mode: ModeCRR, Requests: 10}}, "at least two"},
		{[]RTTConfig{{Target: a, Mode: ModeCRR, Requests: 10}, {Target: b, Mode: ModeRR, Requests: 10}}, "crr's, not rr"},
		{[]RTTConfig{{Target: a, Mode: ModeCRR, Requests: 10}, {Target: b, Mode: ModeCRR, Requests: 20}}, "want the first target's 10 after 0 at 0"},
		{[]RTTConfig{{Target: a, Mode: ModeCRR, Requests: 10, ServerCPU: true}, {Target: b, Mode: ModeCRR, Requests: 10}}, "CPU is not sampled"},
	} {
		if _, err := AlternatingCRR(context.Background(), tc.cfgs); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want one saying %q", tc.cfgs, err, tc.want)
		}
	}
}

// A rate spaces the round trips as an HTTP client's connections are
// spaced: 40 measured round trips at 200 a second take 0.2 s where back to
// back they take milliseconds; alternating, the rate is each target's.
func TestCRRPacedAtRate(t *testing.T) {
	a, _ := startStreamServer(t)
	b, _ := startStreamServer(t)
	cell, err := RoundTrips(context.Background(), RTTConfig{Target: a, Mode: ModeCRR, Requests: 40, Warmup: 10, Rate: 200})
	if err != nil {
		t.Fatal(err)
	}
	if d := cell.RTT.Duration; d < 190*time.Millisecond || len(cell.RTT.SamplesNs) != 40 {
		t.Errorf("40 round trips at 200/s: %d in %v; want 40 in about 0.2 s", len(cell.RTT.SamplesNs), d)
	}
	cells, err := AlternatingCRR(context.Background(), []RTTConfig{
		{Target: a, Mode: ModeCRR, Requests: 40, Warmup: 10, Rate: 200},
		{Target: b, Mode: ModeCRR, Requests: 40, Warmup: 10, Rate: 200},
	})
	if err != nil {
		t.Fatal(err)
	}
	if d := cells[0].RTT.Duration; d < 190*time.Millisecond || d > 2*time.Second {
		t.Errorf("40 round trips to each of two targets at 200/s each: %v; want about 0.2 s", d)
	}
	if _, err := RoundTrips(context.Background(), RTTConfig{Target: a, Mode: ModeCRR, Requests: 1, Rate: -1}); err == nil {
		t.Error("a negative rate was accepted")
	}
}

// acceptLog is a listener that notes when each connection arrives, in one
// log shared by several listeners.
type acceptLog struct {
	net.Listener
	mu    *sync.Mutex
	times *[]time.Time
}

func (l acceptLog) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.mu.Lock()
		*l.times = append(*l.times, time.Now())
		l.mu.Unlock()
	}
	return c, err
}

// Paced and alternating, every round trip has a slot of its own, evenly
// spaced (5 ms apart for two targets at 100 a second each), like the HTTP
// load's requests: were each turn's round trips back to back, the first
// target's would always follow an idle pause and the second's a busy
// moment, a difference that is neither target's.
func TestAlternatingCRRSpacesEveryRoundTrip(t *testing.T) {
	var mu sync.Mutex
	var times []time.Time
	addrs := make([]string, 2)
	for i := range addrs {
		addrs[i] = serveStreamOn(t, func(ln net.Listener) net.Listener { return acceptLog{ln, &mu, &times} })
	}
	_, err := AlternatingCRR(context.Background(), []RTTConfig{
		{Target: addrs[0], Mode: ModeCRR, Requests: 30, Warmup: 2, Rate: 100},
		{Target: addrs[1], Mode: ModeCRR, Requests: 30, Warmup: 2, Rate: 100},
	})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	// The round trips' connections (the first may be slow to connect, the
	// count queries come last).
	if len(times) < 64 {
		t.Fatalf("%d connections, want 64 and the count queries", len(times))
	}
	var gaps []time.Duration
	close := 0
	for i := 2; i < 64; i++ {
		g := times[i].Sub(times[i-1])
		gaps = append(gaps, g.Round(100*time.Microsecond))
		if g < 2*time.Millisecond {
			close++
		}
	}
	t.Logf("gaps between the measured connections: %v", gaps)
	if close > len(gaps)/10 {
		t.Errorf("%d of %d connections within 2 ms of the previous; want them about 5 ms apart", close, len(gaps))
	}
}
