package runner

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/meshbench/meshbench/generators"
)

// lockedBuffer is a writer the bar's render goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// The bar moves while a measurement runs, shows which step and measurement
// it is at with an ETA, and reaches the end when every measurement is done.
func TestProgressMovesThroughEveryMeasurement(t *testing.T) {
	var out lockedBuffer
	const each = 800 * time.Millisecond
	pr := newProgress(context.Background(), &out, 2*each)
	var seen []int64
	finished := pr.measuring("none step 1/2, 0 policies: latency", each)
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		seen = append(seen, pr.bar.Current())
	}
	finished()
	half := pr.bar.Current()
	finished = pr.measuring("none step 2/2, 100 policies: crr, target", each)
	time.Sleep(400 * time.Millisecond)
	during := pr.bar.Current()
	finished()
	end := pr.bar.Current()
	pr.close()

	if !(seen[0] > 0 && seen[0] < seen[1] && seen[1] < seen[2] && seen[2] <= half) {
		t.Errorf("the bar did not move during the first measurement: %v then %d", seen, half)
	}
	if half != int64(each/time.Millisecond) || !(during > half && during < end) || end != int64(2*each/time.Millisecond) {
		t.Errorf("bar at %d after the first, %d during the second, %d at the end; want %d, between, %d",
			half, during, end, each/time.Millisecond, 2*each/time.Millisecond)
	}
	s := out.String()
	for _, want := range []string{"none step 1/2, 0 policies: latency", "none step 2/2, 100 policies: crr, target", "ETA", "%"} {
		if !strings.Contains(s, want) {
			t.Errorf("the bar never showed %q:\n%q", want, s)
		}
	}
}

// The bar's total counts every measurement of a step: latency, and both
// arms' streams and round trips.
func TestExpectedCountsEveryMeasurement(t *testing.T) {
	load := Load{Rate: 100, Requests: 200, Sizes: []string{".5k", "1k"}}
	m := Measures{Latency: true, Throughput: true, RTT: true, Streams: []int{1, 4}, StreamDuration: 2 * time.Second, StreamOmit: time.Second, RTTRequests: 900}
	r := &run{cfg: Config{Load: load, Measures: m, Plan: generators.Plan{}}}
	latency := 4 * time.Second                                     // 2 sizes × 200 requests at 100/s
	streams := 2 * 2 * (time.Second + 2*time.Second + time.Second) // 2 arms × 2 settings
	rtt := 2 * 2 * time.Second                                     // 2 arms × 2 modes × (900+100) ms
	if got, want := r.expected(), latency+streams+rtt; got != want {
		t.Errorf("a step is expected to take %v, want %v (latency %v, streams %v, round trips %v)", got, want, latency, streams, rtt)
	}
}
