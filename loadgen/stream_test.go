package loadgen

import (
	"context"
	"math"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/meshbench/meshbench/cpu"
	"github.com/meshbench/meshbench/results"
)

// startStreamServer runs a stream server on a free loopback port until the
// test ends.
func startStreamServer(t *testing.T, opts ...StreamOption) (string, *StreamServer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := NewStreamServer(opts...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stream server: %v", err)
		}
	})
	return ln.Addr().String(), srv
}

// checkTotals asserts what a user relies on in every stream cell: the client
// moved what the server counted, and the intervals add up to the totals.
func checkTotals(t *testing.T, th *results.Throughput, server StreamStats, reverse bool) {
	t.Helper()
	counted := server.BytesReceived
	if reverse {
		counted = server.BytesSent
	}
	if th.ServerBytes != counted {
		t.Errorf("session query says the server counted %d bytes, the server's own total is %d", th.ServerBytes, counted)
	}
	if d := math.Abs(float64(th.WireBytes-counted)) / float64(counted); counted == 0 || d > 0.01 {
		t.Errorf("client moved %d bytes, server counted %d (%.3f%% apart, want ≤ 1%%)", th.WireBytes, counted, 100*d)
	}
	var bytes, retr int64
	var dur time.Duration
	var fromRates float64
	for _, iv := range th.Intervals {
		bytes += iv.Bytes
		retr += iv.Retransmits
		dur += iv.Duration
		fromRates += iv.Bps * iv.Duration.Seconds() / 8
	}
	if bytes != th.Bytes || dur != th.Duration {
		t.Errorf("intervals sum to %d bytes in %v, totals are %d bytes in %v", bytes, dur, th.Bytes, th.Duration)
	}
	if math.Abs(fromRates-float64(th.Bytes)) > 1e-6*float64(th.Bytes) {
		t.Errorf("interval rates × durations give %.0f bytes, total is %d", fromRates, th.Bytes)
	}
	if !reverse && retr != th.Retransmits {
		t.Errorf("interval retransmits sum to %d, total is %d", retr, th.Retransmits)
	}
	if len(th.IntervalsBps) != len(th.Intervals) {
		t.Errorf("%d interval rates for %d intervals", len(th.IntervalsBps), len(th.Intervals))
	}
	if th.Bytes <= 0 || th.Bytes > th.WireBytes {
		t.Errorf("measured %d bytes of %d moved", th.Bytes, th.WireBytes)
	}
}

func TestStreamTotalsMatchServer(t *testing.T) {
	for _, reverse := range []bool{false, true} {
		name := map[bool]string{false: "send", true: "reverse"}[reverse]
		t.Run(name, func(t *testing.T) {
			addr, srv := startStreamServer(t)
			var reported []StreamInterval
			cell, err := Stream(context.Background(), StreamConfig{
				Target: addr, Duration: 1500 * time.Millisecond, Omit: 500 * time.Millisecond,
				Interval: 500 * time.Millisecond, Parallel: 1, Reverse: reverse,
				OnInterval: func(iv StreamInterval) { reported = append(reported, iv) },
			})
			if err != nil {
				t.Fatal(err)
			}
			th := cell.Throughput
			checkTotals(t, th, srv.Stats(), reverse)
			if th.Direction != name {
				t.Errorf("direction %q, want %q", th.Direction, name)
			}
			// 0.5 s omitted, then 1.5 s in 0.5 s intervals.
			if len(reported) != 4 || !reported[0].Omitted || reported[1].Omitted {
				t.Errorf("reported %d intervals (first omitted: %v), want 4 with only the first omitted", len(reported), len(reported) > 0 && reported[0].Omitted)
			}
			if len(th.Intervals) != 3 {
				t.Errorf("%d measured intervals, want 3", len(th.Intervals))
			}
			// The last interval ends when the stream's end is read, which a
			// busy 2-core machine can delay by a few hundred ms; a measured
			// time that kept the omitted start or lost an interval is off
			// by 0.5 s either way.
			if d := th.Duration - 1500*time.Millisecond; d < -200*time.Millisecond || d > 450*time.Millisecond {
				t.Errorf("measured for %v, want 1.5s (the omitted 0.5 s left out)", th.Duration)
			}
			if th.Bytes >= th.WireBytes {
				t.Errorf("measured %d bytes of %d moved: the omitted start must be left out", th.Bytes, th.WireBytes)
			}
			t.Logf("%s: %.2f Gbit/s, %d bytes, server %d, retransmits %d", name, th.Gbps(), th.Bytes, th.ServerBytes, th.Retransmits)
		})
	}
}

func TestStreamParallelOpensThatManyConnections(t *testing.T) {
	addr, srv := startStreamServer(t)
	cell, err := Stream(context.Background(), StreamConfig{Target: addr, Duration: time.Second, Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	th := cell.Throughput
	if got := srv.Stats().Connections; got != 4 {
		t.Errorf("server accepted %d stream connections, want 4", got)
	}
	if th.Connections != 4 || len(th.Streams) != 4 {
		t.Errorf("cell says %d server connections and %d streams, want 4 and 4", th.Connections, len(th.Streams))
	}
	var sum int64
	for i, s := range th.Streams {
		if s.Bytes <= 0 {
			t.Errorf("stream %d moved no bytes", i+1)
		}
		if s.MSS <= 0 || s.Cwnd <= 0 {
			t.Errorf("stream %d: TCP_INFO gave mss %d cwnd %d, want both positive", i+1, s.MSS, s.Cwnd)
		}
		sum += s.Bytes
	}
	if sum != th.Bytes {
		t.Errorf("streams sum to %d bytes, total is %d", sum, th.Bytes)
	}
	checkTotals(t, th, srv.Stats(), false)
}

// Two measurements sharing one server each get back only their own counts.
func TestStreamSessionsAreCountedApart(t *testing.T) {
	addr, srv := startStreamServer(t)
	var wg sync.WaitGroup
	cells := make([]*results.Cell, 2)
	errs := make([]error, 2)
	for i := range cells {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cells[i], errs[i] = Stream(context.Background(), StreamConfig{Target: addr, Duration: time.Second, Parallel: i + 1, Reverse: i == 1})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("stream %d: %v", i, err)
		}
	}
	a, b := cells[0].Throughput, cells[1].Throughput
	if a.ServerBytes != a.WireBytes || b.ServerBytes != b.WireBytes {
		t.Errorf("per-session server counts %d and %d, client moved %d and %d", a.ServerBytes, b.ServerBytes, a.WireBytes, b.WireBytes)
	}
	if a.Connections != 1 || b.Connections != 2 {
		t.Errorf("per-session connections %d and %d, want 1 and 2", a.Connections, b.Connections)
	}
	st := srv.Stats()
	if st.BytesReceived != a.WireBytes || st.BytesSent != b.WireBytes || st.Connections != 3 {
		t.Errorf("server totals %+v do not add up to the two sessions", st)
	}
}

// The CPU sampled over a loopback stream shows the kernel's packet work as
// softirq, and the cell gives the cost per Gbit/s.
func TestStreamCPU(t *testing.T) {
	addr, _ := startStreamServer(t)
	cell, err := Stream(context.Background(), StreamConfig{
		Target: addr, Duration: 2 * time.Second, Omit: 500 * time.Millisecond, Parallel: 1,
		CPU: &cpu.Options{Interval: 500 * time.Millisecond}, ServerCPU: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := cell.CPU
	if c == nil {
		t.Fatal("no CPU figures although CPU sampling was asked for")
	}
	if c.Softirq <= 0 {
		t.Errorf("softirq %.3f cores while a loopback stream ran, want > 0", c.Softirq)
	}
	if c.Busy() <= 0.2 {
		t.Errorf("node busy %.2f cores while a stream ran flat out, want more", c.Busy())
	}
	if d := c.Duration - cell.Throughput.Duration; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("CPU window %v, measured window %v: the omitted start must be outside both", c.Duration, cell.Throughput.Duration)
	}
	if len(c.Samples) < 3 {
		t.Errorf("%d CPU samples over 2 s at 0.5 s, want at least 3", len(c.Samples))
	}
	sc := cell.ServerCPU
	if sc == nil || sc.Source != "server" {
		t.Fatalf("server CPU %+v, want the server's own figures", sc)
	}
	if d := sc.Duration - cell.Throughput.Duration; d < -100*time.Millisecond || d > 100*time.Millisecond {
		t.Errorf("server CPU window %v, measured window %v", sc.Duration, cell.Throughput.Duration)
	}
	if sc.Softirq <= 0 || sc.Busy() <= 0.2 {
		t.Errorf("server's node: softirq %.3f, busy %.2f cores during a stream", sc.Softirq, sc.Busy())
	}
	per, ok := cell.CoresPerGbps()
	if !ok || per <= 0 {
		t.Errorf("cores per Gbit/s = %v (ok %v)", per, ok)
	}
	t.Logf("%.2f Gbit/s, %s, %.3f cores per Gbit/s", cell.Throughput.Gbps(), cpu.String(c), per)
}

func TestStreamRejectsBadConfig(t *testing.T) {
	addr, _ := startStreamServer(t)
	for name, cfg := range map[string]StreamConfig{
		"parallel 0":    {Target: addr, Duration: time.Second},
		"duration 0":    {Target: addr, Parallel: 1},
		"no port":       {Target: "127.0.0.1", Duration: time.Second, Parallel: 1},
		"negative omit": {Target: addr, Duration: time.Second, Parallel: 1, Omit: -time.Second},
	} {
		if _, err := Stream(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestStreamUnreachableTarget(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	if _, err := Stream(context.Background(), StreamConfig{Target: addr, Duration: time.Second, Parallel: 2}); err == nil {
		t.Fatal("a closed port gave no error")
	}
}

func TestStreamCancelStopsEarly(t *testing.T) {
	addr, _ := startStreamServer(t)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := Stream(ctx, StreamConfig{Target: addr, Duration: 30 * time.Second, Parallel: 2})
	if err == nil {
		t.Fatal("a cancelled stream returned no error")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("cancelled after 300ms but returned after %v", took)
	}
}
