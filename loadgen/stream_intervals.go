package loadgen

import (
	"context"
	"sync"
	"time"

	"github.com/meshbench/meshbench/results"
)

// intervalBounds are the interval ends, as offsets from the start, before
// the final one (which is when the connections stop): every Interval through
// the omitted start, the end of the omitted start, then every Interval of
// the measured window.
func intervalBounds(omit, duration, every time.Duration) []time.Duration {
	var b []time.Duration
	for t := every; t < omit; t += every {
		b = append(b, t)
	}
	if omit > 0 {
		b = append(b, omit)
	}
	for t := omit + every; t < omit+duration; t += every {
		b = append(b, t)
	}
	return b
}

// measureIntervals snapshots the connections' counters at every interval
// bound and fills th's intervals and totals. It returns once every
// connection has stopped measuring (measuring), with the CPU window of the
// measured time still open.
func measureIntervals(ctx context.Context, cfg StreamConfig, conns []*streamConn, start time.Time,
	th *results.Throughput, measuring *sync.WaitGroup) *cpuWindow {

	win := &cpuWindow{opts: cfg.CPU, server: cfg.ServerCPU}
	startCPU := func() { win.start(ctx, cfg.Target, cfg.DialTimeout) }
	if cfg.Omit == 0 {
		startCPU()
	}

	prevAt, prevBytes := start, int64(0)
	measuredStart := start.Add(cfg.Omit)
	snapshot := func(at time.Time, omitted bool) {
		var total, retr int64
		for _, sc := range conns {
			n := sc.bytes.Load()
			total += n
			if omitted {
				sc.atOmit = n
			}
			if info, ok := ReadTCPInfo(sc.c); ok {
				retr += info.Retransmits - sc.lastRetr
				sc.lastRetr = info.Retransmits
			}
		}
		iv := results.ThroughputInterval{Duration: at.Sub(prevAt), Bytes: total - prevBytes, Retransmits: retr}
		if iv.Duration > 0 {
			iv.Bps = float64(iv.Bytes) * 8 / iv.Duration.Seconds()
		}
		if !omitted {
			iv.Start = prevAt.Sub(measuredStart)
			th.Intervals = append(th.Intervals, iv)
			th.IntervalsBps = append(th.IntervalsBps, iv.Bps)
			th.Bytes += iv.Bytes
			th.Duration += iv.Duration
		}
		if cfg.OnInterval != nil {
			cfg.OnInterval(StreamInterval{ThroughputInterval: iv, Offset: prevAt.Sub(start), Omitted: omitted, Parallel: cfg.Parallel})
		}
		prevAt, prevBytes = at, total
	}

	for _, b := range intervalBounds(cfg.Omit, cfg.Duration, cfg.Interval) {
		t := time.NewTimer(time.Until(start.Add(b)))
		select {
		case <-ctx.Done():
			t.Stop()
			measuring.Wait()
			return win
		case <-t.C:
		}
		snapshot(time.Now(), b <= cfg.Omit)
		if b == cfg.Omit {
			startCPU()
		}
	}
	measuring.Wait()
	snapshot(time.Now(), false)
	return win
}
