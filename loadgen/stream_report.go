package loadgen

import (
	"fmt"
	"io"
	"strings"

	"github.com/meshbench/meshbench/results"
)

// Stream reports in iperf3's layout: transfer in binary units (MBytes =
// 2^20), rates in decimal ones (Gbits/sec = 10^9), so figures read the same.

// WriteStreamHeader prints the column header of the interval lines.
func WriteStreamHeader(w io.Writer, cfg StreamConfig) {
	dir := "sending to"
	if cfg.Reverse {
		dir = "receiving from"
	}
	fmt.Fprintf(w, "%s %s: %d connection(s), write size %d, %v (+%v omitted), reports every %v\n",
		dir, cfg.Target, cfg.Parallel, cfg.WriteSize, cfg.Duration, cfg.Omit, cfg.Interval)
	fmt.Fprintln(w, "[ ID] Interval           Transfer     Bitrate         Retr")
}

// WriteStreamInterval prints one interval line.
func WriteStreamInterval(w io.Writer, iv StreamInterval) {
	from := iv.Offset.Seconds()
	to := from + iv.Duration.Seconds()
	line := fmt.Sprintf("[SUM] %6.2f-%-6.2f sec  %s  %s  %4d", from, to, formatTransfer(iv.Bytes), formatBitrate(iv.Bps), iv.Retransmits)
	if iv.Omitted {
		line += "  (omitted)"
	}
	fmt.Fprintln(w, line)
}

// WriteStreamSummary prints the totals of a stream cell: the measured
// window, what the server counted, each connection's TCP_INFO, and CPU.
func WriteStreamSummary(w io.Writer, c *results.Cell) {
	t := c.Throughput
	if t == nil {
		return
	}
	fmt.Fprintln(w, strings.Repeat("- ", 30))
	fmt.Fprintf(w, "[SUM] %6.2f-%-6.2f sec  %s  %s  %4d  total, %d stream(s), %s (retransmits by the %s)\n",
		0.0, t.Duration.Seconds(), formatTransfer(t.Bytes), formatBitrate(t.Gbps()*1e9), t.Retransmits,
		t.Parallel, t.Direction, t.RetransmitsBy)
	diff := 0.0
	if t.ServerBytes > 0 {
		diff = 100 * float64(t.WireBytes-t.ServerBytes) / float64(t.ServerBytes)
	}
	fmt.Fprintf(w, "      server counted %d bytes on %d connection(s); client moved %d (%+.3f%%), omitted start and final drain included\n",
		t.ServerBytes, t.Connections, t.WireBytes, diff)
	for i, s := range t.Streams {
		fmt.Fprintf(w, "[%3d] %s  rtt %v ± %v  cwnd %d × %d B  retr %d\n",
			i+1, formatTransfer(s.Bytes), s.RTT, s.RTTVar, s.Cwnd, s.MSS, s.Retransmits)
	}
	if c.CPU != nil {
		fmt.Fprintf(w, "      cpu (cores of %d): user %.2f  system %.2f  softirq %.2f  irq %.2f  steal %.2f  idle %.2f",
			c.CPU.CPUs, c.CPU.User, c.CPU.System, c.CPU.Softirq, c.CPU.IRQ, c.CPU.Steal, c.CPU.Idle)
		if c.CPU.CgroupPath != "" {
			fmt.Fprintf(w, "  cgroup %.2f", c.CPU.Cgroup)
		}
		if per, ok := c.CoresPerGbps(); ok {
			fmt.Fprintf(w, "  → %.3f busy cores per Gbit/s", per)
		}
		fmt.Fprintln(w)
		for name, v := range c.CPU.Components {
			fmt.Fprintf(w, "      %s: %.3f cores\n", name, v)
		}
		for _, n := range c.CPU.Notes {
			fmt.Fprintf(w, "      note: %s\n", n)
		}
	}
}

func formatTransfer(n int64) string {
	f := float64(n)
	switch {
	case f >= 1<<30:
		return fmt.Sprintf("%5.2f GBytes", f/(1<<30))
	case f >= 1<<20:
		return fmt.Sprintf("%5.1f MBytes", f/(1<<20))
	default:
		return fmt.Sprintf("%5.1f KBytes", f/(1<<10))
	}
}

func formatBitrate(bps float64) string {
	switch {
	case bps >= 1e9:
		return fmt.Sprintf("%5.2f Gbits/sec", bps/1e9)
	case bps >= 1e6:
		return fmt.Sprintf("%5.1f Mbits/sec", bps/1e6)
	default:
		return fmt.Sprintf("%5.1f Kbits/sec", bps/1e3)
	}
}
