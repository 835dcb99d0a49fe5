package loadgen

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/meshbench/meshbench/analysis"
)

// An injected server delay shows in TCP_RR medians by the injected amount.
// The delayed and the plain server are measured in alternating rounds so
// both share the machine's drift.
func TestRRShowsInjectedDelay(t *testing.T) {
	const delay = 200 * time.Microsecond
	plain, _ := startStreamServer(t)
	delayed, _ := startStreamServer(t, WithStreamDelay(delay))
	var base, other []int64
	for range 4 {
		for _, arm := range []struct {
			addr string
			into *[]int64
		}{{plain, &base}, {delayed, &other}} {
			cell, err := RoundTrips(context.Background(), RTTConfig{Target: arm.addr, Mode: ModeRR, Requests: 500, Warmup: 50})
			if err != nil {
				t.Fatal(err)
			}
			if cell.RTT.Connections != 1 {
				t.Errorf("rr used %d connections, want 1", cell.RTT.Connections)
			}
			*arm.into = append(*arm.into, cell.RTT.SamplesNs...)
		}
	}
	d := analysis.CompareMedian(base, other, analysis.WithSeed(1))
	t.Logf("median %v → %v: +%v (95%% CI %v..%v)", d.Base, d.Other, d.Diff, d.CILow, d.CIHigh)
	if lo, hi := delay*3/4, delay*5/4; d.Diff < lo || d.Diff > hi {
		t.Errorf("injected %v, TCP_RR median grew by %v; want %v..%v", delay, d.Diff, lo, hi)
	}
}

func TestCRROpensAConnectionPerRoundTrip(t *testing.T) {
	addr, srv := startStreamServer(t)
	cell, err := RoundTrips(context.Background(), RTTConfig{Target: addr, Mode: ModeCRR, Requests: 200, Warmup: 20})
	if err != nil {
		t.Fatal(err)
	}
	r := cell.RTT
	if len(r.SamplesNs) != 200 || len(r.Errors) != 0 {
		t.Errorf("%d samples and errors %v, want 200 and none", len(r.SamplesNs), r.Errors)
	}
	if r.Connections != 200 {
		t.Errorf("server counted %d connections for the measured round trips, want 200", r.Connections)
	}
	if st := srv.Stats(); st.Connections != 220 || st.Transactions != 220 {
		t.Errorf("server total %d connections, %d transactions; want 220 each (warm-up included)", st.Connections, st.Transactions)
	}
	// A connect costs more than a round trip on an open connection.
	rr, err := RoundTrips(context.Background(), RTTConfig{Target: addr, Mode: ModeRR, Requests: 200})
	if err != nil {
		t.Fatal(err)
	}
	if c, o := analysis.Summarize(r.SamplesNs).P50, analysis.Summarize(rr.RTT.SamplesNs).P50; c <= o {
		t.Errorf("crr median %v not above rr median %v", c, o)
	}
}

func TestRTTMessageSize(t *testing.T) {
	addr, srv := startStreamServer(t)
	if _, err := RoundTrips(context.Background(), RTTConfig{Target: addr, Mode: ModeRR, Requests: 10, MessageSize: 4096}); err != nil {
		t.Fatal(err)
	}
	if st := srv.Stats(); st.BytesReceived != 10*4096 || st.BytesSent != 10*4096 {
		t.Errorf("server received %d and sent %d bytes for 10 round trips of 4096, want 40960 each", st.BytesReceived, st.BytesSent)
	}
}

func TestRTTRejectsBadInput(t *testing.T) {
	addr, _ := startStreamServer(t)
	for name, cfg := range map[string]RTTConfig{
		"unknown mode": {Target: addr, Mode: "udp_rr", Requests: 1},
		"no requests":  {Target: addr, Mode: ModeRR},
		"no port":      {Target: "localhost", Mode: ModeRR, Requests: 1},
	} {
		if _, err := RoundTrips(context.Background(), cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	if _, err := RoundTrips(context.Background(), RTTConfig{Target: closed, Mode: ModeRR, Requests: 1}); err == nil {
		t.Error("rr to a closed port gave no error")
	}
}
