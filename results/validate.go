package results

import (
	"fmt"
	"math"
	"time"
)

// MaxSampleNs bounds one latency or round-trip sample: an hour is beyond
// any request timeout. With it, the sum of a cell's samples fits an int64
// up to MaxInt64/MaxSampleNs (2.5 million) samples.
const MaxSampleNs = int64(time.Hour)

// Validate checks what a reader relies on: counts, rates, durations and
// samples that a measurement can produce, and no cell measured twice (a
// copy would be counted twice and look like a merge of two documents).
// Errors name the cell.
func (d *Document) Validate() error {
	l := d.Load
	switch {
	case bad(l.Rate):
		return fmt.Errorf("load: rate %v: want 0 or more requests per second", l.Rate)
	case l.Requests < 0 || l.Warmup < 0 || l.Rounds < 0:
		return fmt.Errorf("load: requests %d, warmup %d, rounds %d: want 0 or more", l.Requests, l.Warmup, l.Rounds)
	case l.Timeout < 0:
		return fmt.Errorf("load: timeout %v: want 0 or more", l.Timeout)
	}
	seen := map[cellIdentity]int{}
	for i := range d.Cells {
		c := &d.Cells[i]
		if err := c.validate(); err != nil {
			return fmt.Errorf("cell %d (%s): %w", i+1, c.describe(), err)
		}
		for _, id := range c.identities() {
			if j, ok := seen[id]; ok {
				return fmt.Errorf("cell %d (%s): the same %s as cell %d; a document holds each measurement once (merge documents by giving report several files)", i+1, c.describe(), id.what, j+1)
			}
			seen[id] = i
		}
	}
	return nil
}

// bad is true for a negative or non-finite figure.
func bad(x float64) bool { return x < 0 || math.IsNaN(x) || math.IsInf(x, 0) }

func (c *Cell) describe() string {
	where := c.MeshLabel()
	if c.Shape != "" {
		where += ", shape " + c.Shape
	}
	return fmt.Sprintf("mesh %s, step %q, arm %q, size %s", where, c.Step, c.Arm, c.SizeLabel)
}

func (c *Cell) validate() error {
	if c.Policies < 0 || c.Size < 0 {
		return fmt.Errorf("policies %d, size %d: want 0 or more", c.Policies, c.Size)
	}
	if l := c.Latency; l != nil {
		if err := checkSamples("latency", l.SamplesNs); err != nil {
			return err
		}
		if l.Requests < 0 || l.NewConnections < -1 || bad(l.Rate) || bad(l.AchievedRate) || l.Duration < 0 {
			return fmt.Errorf("latency: requests %d, new connections %d, rate %v, achieved rate %v, duration %v: want 0 or more (new connections -1 when unknown)",
				l.Requests, l.NewConnections, l.Rate, l.AchievedRate, l.Duration)
		}
		if err := checkErrors("latency", l.Errors); err != nil {
			return err
		}
	}
	if r := c.RTT; r != nil {
		if err := checkSamples("rtt", r.SamplesNs); err != nil {
			return err
		}
		if r.Requests < 0 || r.Connections < 0 || r.MessageSize < 0 || r.Duration < 0 {
			return fmt.Errorf("rtt: requests %d, connections %d, message size %d, duration %v: want 0 or more", r.Requests, r.Connections, r.MessageSize, r.Duration)
		}
		if err := checkErrors("rtt", r.Errors); err != nil {
			return err
		}
	}
	if t := c.Throughput; t != nil {
		if t.Parallel < 0 || t.Bytes < 0 || t.Duration < 0 || t.Retransmits < 0 || t.ServerBytes < 0 || t.Connections < 0 || t.WireBytes < 0 || t.Omit < 0 {
			return fmt.Errorf("throughput: parallel %d, bytes %d, duration %v, retransmits %d: want 0 or more", t.Parallel, t.Bytes, t.Duration, t.Retransmits)
		}
		for _, bps := range t.IntervalsBps {
			if bad(bps) {
				return fmt.Errorf("throughput: interval rate %v: want 0 or more bits per second", bps)
			}
		}
		for _, iv := range t.Intervals {
			if iv.Duration < 0 || iv.Bytes < 0 || bad(iv.Bps) || iv.Retransmits < 0 {
				return fmt.Errorf("throughput: interval at %v: duration %v, bytes %d, rate %v: want 0 or more", iv.Start, iv.Duration, iv.Bytes, iv.Bps)
			}
		}
	}
	for _, cpu := range []*CPU{c.CPU, c.ServerCPU} {
		if cpu != nil && (cpu.Duration < 0 || cpu.CPUs < 0) {
			return fmt.Errorf("cpu %s: duration %v, cpus %d: want 0 or more", cpu.Source, cpu.Duration, cpu.CPUs)
		}
	}
	if d := c.Datapath; d != nil && (d.Connections < 0 || d.TargetConnections < 0 || d.Duration < 0 || d.Changed < 0) {
		return fmt.Errorf("datapath: connections %d, target connections %d, duration %v, changed %d: want 0 or more", d.Connections, d.TargetConnections, d.Duration, d.Changed)
	}
	if d := c.Datapath; d != nil && d.Window != WindowHTTP && d.Window != WindowCRR {
		return fmt.Errorf("datapath: window %q: want %q (the latency window) or %q", d.Window, WindowHTTP, WindowCRR)
	}
	if e := c.Enforcement; e != nil && (e.After < 0 || e.Applied < 0 || e.ApplyTook < 0) {
		return fmt.Errorf("enforcement: after %v, applied %d, apply took %v: want 0 or more", e.After, e.Applied, e.ApplyTook)
	}
	return nil
}

func checkSamples(what string, samples []int64) error {
	for i, s := range samples {
		if s < 0 || s > MaxSampleNs {
			return fmt.Errorf("%s sample %d is %d ns: want 0 to %d (an hour)", what, i+1, s, MaxSampleNs)
		}
	}
	return nil
}

func checkErrors(what string, errs map[string]int) error {
	for kind, n := range errs {
		if n < 0 {
			return fmt.Errorf("%s: %d errors %q: want 0 or more", what, n, kind)
		}
	}
	return nil
}

// cellIdentity is one measurement of one arm at one step and size: a
// document holds each at most once.
type cellIdentity struct {
	mesh, shape, step, arm string
	size                   int64
	what                   string
}

func (c *Cell) identities() []cellIdentity {
	id := cellIdentity{mesh: c.MeshLabel(), shape: c.Shape, step: c.Step, arm: c.Arm, size: c.Size}
	var out []cellIdentity
	if c.Latency != nil {
		id.what = "latency measurement"
		out = append(out, id)
	}
	if t := c.Throughput; t != nil {
		id.what = fmt.Sprintf("throughput measurement (%d streams, %s)", t.Parallel, t.Direction)
		out = append(out, id)
	}
	if r := c.RTT; r != nil {
		id.what = fmt.Sprintf("%s round trips of %d bytes", r.Mode, r.MessageSize)
		out = append(out, id)
	}
	if d := c.Datapath; d != nil {
		id.what = "datapath measurement"
		if d.Window != WindowHTTP {
			id.what += " of the " + d.Window + " window"
		}
		out = append(out, id)
	}
	return out
}
