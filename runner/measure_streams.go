package runner

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// measureStep takes every measurement the run asks for at step number i and
// returns the cells: request latency (target and control alternating in one
// pod), then, one pod each, throughput and round trips (rr, crr) against the
// target and then the control, with CPU when asked. Without CPU, crr's
// target and control alternate round trip by round trip in one pod, as the
// latency client's requests do: crr is what pays the per-connection cost,
// and its paired figure must not carry the drift between two pods. The
// caller labels the cells with the step and mesh.
func (r *run) measureStep(ctx context.Context, i int, targetURL, controlURL string) ([]results.Cell, error) {
	m := r.cfg.Measures
	var cells []results.Cell
	if m.Latency {
		w := r.openDatapath(ctx, datapath.ReadEvery)
		c, err := r.measure(ctx, fmt.Sprintf("meshbench-client-%d", i), targetURL, controlURL, func() { w.end(ctx) })
		if err != nil {
			w.discard()
			return nil, err
		}
		cells = append(cells, c...)
		if d := w.close(ctx, c, r.cfg.Load.Warmup); d != nil {
			cells = append(cells, *d)
		}
	}
	type arm struct{ name, addr string }
	arms := []arm{{results.ArmTarget, streamAddr(targetURL)}, {results.ArmControl, streamAddr(controlURL)}}
	var runs []clientRun
	if m.Throughput {
		runs = append(runs, clientRun{"stream", "stream", m.streamArgs(), m.streamExpected(), m.streamExpected()})
	}
	if m.RTT {
		for _, mode := range []string{loadgen.ModeRR, loadgen.ModeCRR} {
			args := m.rttArgs(mode)
			if mode == loadgen.ModeCRR {
				args = append(args, m.lingerArgs()...)
				args = append(args, m.settleArgs()...)
			}
			runs = append(runs, clientRun{mode, "rtt", args, m.rttExpected(), m.rttEstimate()})
		}
	}
	for _, run := range runs {
		if run.name == loadgen.ModeCRR && !m.CPU {
			c, err := r.measureCRRAlternating(ctx, i, run, arms[0].addr, arms[1].addr)
			if err != nil {
				return nil, err
			}
			cells = append(cells, c...)
			continue
		}
		for _, a := range arms {
			name := fmt.Sprintf("meshbench-%s-%d-%s", run.name, i, a.name)
			// A new pod waits until the policy engine admits it, as the latency client does.
			args := append([]string{run.command, "--target", a.addr, "--wait-reachable", "60s"}, run.args...)
			// The target's crr pays a new connection per round trip, as
			// HTTP with keep-alive off does: its datapath is read too. The
			// control's crr runs with the same reads beside it (and its
			// figures dropped), so the reads weigh on both arms alike.
			var w datapathWindow
			if run.name == loadgen.ModeCRR {
				w = r.openDatapath(ctx, datapath.ReadEveryBurst)
			}
			doc, err := r.runClient(ctx, name, run.name+", "+a.name, args, run.expected, run.estimate, func() { w.end(ctx) })
			if err != nil {
				w.discard()
				return nil, err
			}
			for j := range doc.Cells {
				doc.Cells[j].Arm = a.name
			}
			cells = append(cells, doc.Cells...)
			if a.name != results.ArmTarget {
				w.discard()
			} else if d := w.closeCRR(ctx, doc.Cells, m.rttWarmup()); d != nil {
				cells = append(cells, *d)
			}
		}
	}
	return cells, nil
}

// measureCRRAlternating runs crr against the target and the control in one
// pod, one round trip to each in turn, inside a datapath window when the
// run reads the datapath (the window counts both arms' connections; the
// policy walk is the target's chains' alone).
func (r *run) measureCRRAlternating(ctx context.Context, i int, run clientRun, target, control string) ([]results.Cell, error) {
	name := fmt.Sprintf("meshbench-%s-%d", run.name, i)
	args := append([]string{run.command, "--target", results.ArmTarget + "=" + target, "--target", results.ArmControl + "=" + control,
		"--wait-reachable", "60s"}, run.args...)
	w := r.openDatapath(ctx, datapath.ReadEveryBurst)
	doc, err := r.runClient(ctx, name, run.name+", target and control alternating", args, 2*run.expected, 2*run.estimate, func() { w.end(ctx) })
	if err != nil {
		w.discard()
		return nil, err
	}
	cells := doc.Cells
	if d := w.closeCRR(ctx, cells, r.cfg.Measures.rttWarmup()); d != nil {
		cells = append(cells, *d)
	}
	return cells, nil
}

// clientRun is one client pod's measurement: a meshbench subcommand and its
// arguments besides --target.
type clientRun struct {
	name, command string
	args          []string
	// expected bounds the pod's wait; estimate is its likely length, what
	// the progress bar counts.
	expected, estimate time.Duration
}

// streamAddr is the stream listener beside a server's HTTP URL: the same
// host (pod IP or ClusterIP) on cluster.StreamPort.
func streamAddr(serverURL string) string {
	host := serverURL
	if u, err := url.Parse(serverURL); err == nil {
		host = u.Hostname()
	}
	return net.JoinHostPort(host, strconv.Itoa(cluster.StreamPort))
}

// cpuArgs switch the client's and the server's CPU sampling off unless the
// run measures CPU.
func (m Measures) cpuArgs() []string {
	if m.CPU {
		return nil
	}
	return []string{"--no-cpu", "--no-server-cpu"}
}

func (m Measures) streamArgs() []string {
	counts := make([]string, len(m.Streams))
	for i, n := range m.Streams {
		counts[i] = strconv.Itoa(n)
	}
	return append([]string{"--streams", strings.Join(counts, ","), "--duration", m.StreamDuration.String(),
		"--omit", m.StreamOmit.String(), "-o", "-"}, m.cpuArgs()...)
}

func (m Measures) rttArgs(mode string) []string {
	args := []string{"--mode", mode, "--requests", strconv.Itoa(m.RTTRequests), "--warmup", strconv.Itoa(m.rttWarmup()), "-o", "-"}
	if m.RTTRate > 0 {
		args = append(args, "--rate", strconv.FormatFloat(m.RTTRate, 'g', -1, 64))
	}
	return append(args, m.cpuArgs()...)
}

// datapathLinger is how long a client pod stays up after its results while
// the run reads the server node's datapath: long enough for several reads
// (every second in a latency window, every quarter second in crr) before
// the pod's exit makes the engine rewrite its rules.
const datapathLinger = 2 * time.Second

// lingerArgs keep a client pod up after its measurement when the run reads
// the datapath around it.
func (m Measures) lingerArgs() []string {
	if !m.Datapath {
		return nil
	}
	return []string{"--linger", datapathLinger.String()}
}

// settleArgs have a latency or crr pod wait 2 s once the targets admit it
// while the run reads the datapath: the engine's rewrites for the pod's
// start and the previous pod's removal then come before its requests, not
// inside them, and lose none of their counts.
func (m Measures) settleArgs() []string {
	if !m.Datapath {
		return nil
	}
	return []string{"--settle", datapathLinger.String()}
}

// rttWarmup is the round trips a round-trip pod runs before measuring.
func (m Measures) rttWarmup() int { return min(100, m.RTTRequests) }

// streamExpected is one stream pod's measuring time.
func (m Measures) streamExpected() time.Duration {
	return time.Duration(len(m.Streams)) * (m.StreamOmit + m.StreamDuration + time.Second)
}

// rttExpected allows 5 ms per round trip: a new connection each on a slow
// path included.
func (m Measures) rttExpected() time.Duration {
	return time.Duration(m.RTTRequests+100)*5*time.Millisecond + m.rttPaced()
}

// rttPaced is how long paced round trips take by their schedule alone.
func (m Measures) rttPaced() time.Duration {
	if m.RTTRate <= 0 {
		return 0
	}
	return time.Duration(float64(m.RTTRequests+m.rttWarmup()) / m.RTTRate * float64(time.Second))
}

// rttEstimate is one round-trip pod's likely measuring time, about a
// millisecond per round trip (a crr on a thousand policies took 1.3 ms on
// the lab): the progress bar's share for it.
func (m Measures) rttEstimate() time.Duration {
	return max(time.Duration(m.RTTRequests+100)*time.Millisecond, m.rttPaced())
}

// expected is how long one step's measurements should take: latency, and
// for each arm the streams and both round-trip modes.
func (r *run) expected() time.Duration {
	m := r.cfg.Measures
	var d time.Duration
	if m.Latency {
		d += r.cfg.Load.expected()
	}
	if m.Throughput {
		d += 2 * m.streamExpected()
	}
	if m.RTT {
		d += 2 * 2 * m.rttEstimate()
	}
	return d
}
