package runner

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/meshbench/meshbench/loadgen"
)

// Measurement names for --measure.
const (
	MeasureLatency    = "latency"
	MeasureThroughput = "throughput"
	MeasureRTT        = "rtt"
	MeasureCPU        = "cpu"
	MeasureDatapath   = "datapath"
)

// AllMeasures lists every measurement, for flag help.
var AllMeasures = []string{MeasureLatency, MeasureThroughput, MeasureRTT, MeasureCPU, MeasureDatapath}

// Measures say what a run measures at every step besides (or instead of)
// request latency, and how.
type Measures struct {
	Latency, Throughput, RTT, CPU bool
	// Datapath reads the server node's rule counters, CPU and load around
	// every latency window (package datapath).
	Datapath bool
	// Streams are the parallel connection counts of the throughput
	// measurement, each measured for StreamDuration after StreamOmit.
	Streams        []int
	StreamDuration time.Duration
	StreamOmit     time.Duration
	// RTTRequests is the number of round trips per mode (rr, crr) and arm.
	RTTRequests int
	// RTTRate paces the round trips at this many per second and arm; 0
	// runs them back to back.
	RTTRate float64
}

// DefaultMeasures is request latency alone, with the stream and round-trip
// settings a --measure list that adds them uses.
func DefaultMeasures() Measures {
	return Measures{Latency: true, Streams: []int{1, 4}, StreamDuration: 5 * time.Second, StreamOmit: time.Second, RTTRequests: 2000}
}

// ParseMeasures sets which measurements m takes from a comma-separated
// list such as "latency,throughput,rtt,cpu".
func (m *Measures) Parse(list string) error {
	m.Latency, m.Throughput, m.RTT, m.CPU, m.Datapath = false, false, false, false, false
	for _, s := range strings.Split(list, ",") {
		switch strings.TrimSpace(s) {
		case MeasureLatency:
			m.Latency = true
		case MeasureThroughput:
			m.Throughput = true
		case MeasureRTT:
			m.RTT = true
		case MeasureCPU:
			m.CPU = true
		case MeasureDatapath:
			m.Datapath = true
		default:
			return fmt.Errorf("--measure %q: unknown measurement %q; want a comma-separated list of %s", list, strings.TrimSpace(s), strings.Join(AllMeasures, ", "))
		}
	}
	return nil
}

// Validate checks the combination and the settings; errors name the flag.
func (m Measures) Validate() error {
	switch {
	case !m.Latency && !m.Throughput && !m.RTT:
		return fmt.Errorf("--measure: want latency, throughput or rtt (cpu is sampled during throughput and rtt), e.g. latency,throughput,rtt,cpu")
	case m.Datapath && !m.Latency:
		return fmt.Errorf("--measure datapath: the datapath is read around the latency windows; add latency, e.g. latency,datapath")
	case m.CPU && !m.Throughput && !m.RTT:
		return fmt.Errorf("--measure cpu: CPU is sampled during the throughput and rtt measurements; add one of them, e.g. throughput,cpu")
	case m.Throughput && (len(m.Streams) == 0 || slices.ContainsFunc(m.Streams, func(n int) bool { return n < 1 || n > loadgen.MaxStreamParallel })):
		return fmt.Errorf("--streams %v: want comma-separated connection counts of 1 to %d, e.g. 1,4", m.Streams, loadgen.MaxStreamParallel)
	case m.Throughput && (m.StreamDuration <= 0 || m.StreamDuration > loadgen.MaxStreamDuration):
		return fmt.Errorf("--stream-duration %v: want a positive duration of at most %v, e.g. 5s", m.StreamDuration, loadgen.MaxStreamDuration)
	case m.Throughput && (m.StreamOmit < 0 || m.StreamOmit > loadgen.MaxStreamDuration):
		return fmt.Errorf("--stream-omit %v: want zero or a positive duration of at most %v, e.g. 1s", m.StreamOmit, loadgen.MaxStreamDuration)
	case m.RTT && m.RTTRequests < 1:
		return fmt.Errorf("--rtt-requests %d: want a number of round trips of at least 1, e.g. 2000", m.RTTRequests)
	case !(m.RTTRate >= 0 && m.RTTRate <= loadgen.MaxRTTRate):
		return fmt.Errorf("--rtt-rate %g: want 0 (back to back) to %d round trips per second and arm, e.g. 100 (the HTTP load's rate)", m.RTTRate, loadgen.MaxRTTRate)
	}
	return nil
}

// streams is true when the servers must listen for streams and round trips.
func (m Measures) streams() bool { return m.Throughput || m.RTT }

// String is the list form of m, as --measure takes it.
func (m Measures) String() string {
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{m.Latency, MeasureLatency}, {m.Throughput, MeasureThroughput}, {m.RTT, MeasureRTT}, {m.CPU, MeasureCPU}, {m.Datapath, MeasureDatapath}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return strings.Join(out, ",")
}
