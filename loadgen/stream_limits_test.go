package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestStreamRefusesMoreConnectionsThanItCanCarry(t *testing.T) {
	cfg := StreamConfig{Target: "127.0.0.1:1", Duration: time.Second, Parallel: 2000}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "128") {
		t.Errorf("Validate of 2000 streams: %v; want an error saying the limit", err)
	}
}

// A measurement whose streams all carried data has no shortfall; one the
// server counted fewer connections for, or with a stream that moved
// nothing, says so.
func TestStreamShortfall(t *testing.T) {
	addr, _ := startStreamServer(t)
	cell, err := Stream(context.Background(), StreamConfig{Target: addr, Duration: 300 * time.Millisecond, Parallel: 2, WriteSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	if w := StreamShortfall(cell); w != "" {
		t.Fatalf("a full measurement: %q", w)
	}
	cell.Throughput.Connections = 1
	cell.Throughput.Streams[1].Bytes = 0
	if w := StreamShortfall(cell); !strings.Contains(w, "counted 1 connection") || !strings.Contains(w, "1 stream(s) moved nothing") {
		t.Errorf("shortfall %q", w)
	}
}
