package loadgen

import (
	"fmt"
	"io"
	"sort"
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
	WriteCPU(w, "      ", c)
	if per, ok := c.CoresPerGbps(); ok {
		fmt.Fprintf(w, "      %.3f busy cores of the client's node per Gbit/s\n", per)
	}
}

// WriteCPU prints a cell's CPU figures, the client's and the server's, one
// line each, then Prometheus components and notes.
func WriteCPU(w io.Writer, indent string, c *results.Cell) {
	for _, f := range []*results.CPU{c.CPU, c.ServerCPU} {
		if f == nil {
			continue
		}
		fmt.Fprintf(w, "%s%s cpu (cores of %d): user %.2f  system %.2f  softirq %.2f  irq %.2f  steal %.2f  idle %.2f",
			indent, f.Source, f.CPUs, f.User, f.System, f.Softirq, f.IRQ, f.Steal, f.Idle)
		if f.CgroupPath != "" {
			fmt.Fprintf(w, "  cgroup %.2f", f.Cgroup)
		}
		fmt.Fprintln(w)
		names := make([]string, 0, len(f.Components))
		for n := range f.Components {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintf(w, "%s%s: %.3f cores\n", indent, n, f.Components[n])
		}
		for _, n := range f.Notes {
			fmt.Fprintf(w, "%snote: %s\n", indent, n)
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

// WriteStreamSweep prints one line per parallelism of a --streams sweep, so
// the point where more connections stop adding throughput shows.
func WriteStreamSweep(w io.Writer, cells []results.Cell) {
	if len(cells) < 2 {
		return
	}
	fmt.Fprintln(w, "streams  Gbit/s  retransmits  busy cores/Gbit/s")
	for _, c := range cells {
		t := c.Throughput
		if t == nil {
			continue
		}
		per := "-"
		if v, ok := c.CoresPerGbps(); ok {
			per = fmt.Sprintf("%.3f", v)
		}
		fmt.Fprintf(w, "%7d  %6.2f  %11d  %s\n", t.Parallel, t.Gbps(), t.Retransmits, per)
	}
}
