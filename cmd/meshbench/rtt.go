package main

import (
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

func init() { register(newRTTCmd) }

func newRTTCmd() *cobra.Command {
	var (
		target, mode, size, timeout, output string
		requests, warmup                    int
		waitReachable                       time.Duration
		linger                              lingerFlag
		settle                              settleFlag
		cpuFlags                            cpuFlags
	)
	cmd := &cobra.Command{
		Use:   "rtt",
		Short: "Measure TCP round trips (netperf TCP_RR and TCP_CRR) to a stream server",
		Long: `rtt measures request/response round trips against a
` + "`meshbench serve --stream-port`" + ` server and prints their percentiles:

  --mode rr    round trips on one established connection (netperf TCP_RR):
               the path's latency without connection set-up
  --mode crr   connect, request, response, close per round trip (TCP_CRR):
               what every new connection pays, policy lookups included

Why TCP and not ICMP ping: meshes and policy engines carry and filter TCP;
ping takes a path the application's traffic never takes.`,
		Example: `  meshbench rtt --target 127.0.0.1:5201 --mode rr --requests 10000
  meshbench rtt --target 127.0.0.1:5201 --mode crr --requests 2000 -o crr.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := loadgen.RTTConfig{Target: target, Mode: mode, Requests: requests, Warmup: warmup}
			if mode != loadgen.ModeRR && mode != loadgen.ModeCRR {
				return usagef("--mode %q: want rr (round trips on one connection) or crr (a new connection per round trip)", mode)
			}
			if requests < 1 || requests > loadgen.MaxSamples(1) {
				return usagef("--requests %d: want a number of round trips of at least 1 and %s", requests, loadgen.SampleLimit(1))
			}
			if warmup < 0 || warmup > loadgen.MaxSamples(1) {
				return usagef("--warmup %d: want 0 to %d round trips", warmup, loadgen.MaxSamples(1))
			}
			n, err := loadgen.ParseSize(size)
			if err != nil || n < 1 || n > 16<<20 {
				return usagef("--size %q: want a message size of 1 byte to 16Mi, e.g. 1 or 1Ki", size)
			}
			cfg.MessageSize = int(n)
			if cfg.Timeout, err = parseSeconds("--timeout", timeout, false); err != nil {
				return err
			}
			if err := checkWaitReachable(waitReachable); err != nil {
				return err
			}
			if err := linger.check(); err != nil {
				return err
			}
			if err := settle.check(); err != nil {
				return err
			}
			writeDoc, discard, err := openDocument(cmd, output)
			if err != nil {
				return err
			}
			defer discard()
			if err := checkStreamTarget(cmd.Context(), "--target", target, waitReachable); err != nil {
				return err
			}
			if err := settle.wait(cmd.Context()); err != nil {
				return err
			}
			if cfg.CPU, err = cpuFlags.options(cmd.Context()); err != nil {
				return err
			}
			cfg.ServerCPU = cpuFlags.server()
			report := reportWriter(cmd, output)
			cell, err := loadgen.RoundTrips(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			cell.Step = "0"
			writeRTTReport(report, cell)
			doc := results.New()
			doc.Flags = flagValues(cmd.Flags())
			doc.Cells = append(doc.Cells, *cell)
			if cell.CPU != nil {
				doc.Notes = append(doc.Notes, cell.CPU.Notes...)
			}
			if err := writeDoc(doc); err != nil {
				return err
			}
			linger.wait(cmd.Context())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "stream server `HOST:PORT` (meshbench serve --stream-port)")
	f.StringVar(&mode, "mode", loadgen.ModeRR, "rr (one connection) or crr (a connection per round trip)")
	f.IntVarP(&requests, "requests", "n", 10000, "measured round trips")
	f.IntVar(&warmup, "warmup", 100, "round trips before measuring, discarded")
	f.StringVar(&size, "size", "1", "bytes of each request and each response, e.g. 1, 1Ki")
	f.StringVar(&timeout, "timeout", "5s", "limit for one round trip or connect")
	f.DurationVar(&waitReachable, "wait-reachable", 0, waitReachableHelp)
	f.StringVarP(&output, "output", "o", "", "write the results document to FILE ('-' for stdout; the report then goes to stderr)")
	cpuFlags.register(f)
	linger.register(f)
	settle.register(f)
	return cmd
}

func writeRTTReport(w io.Writer, c *results.Cell) {
	r := c.RTT
	s := analysis.Summarize(r.SamplesNs)
	fmt.Fprintf(w, "%s to %s, %d-byte messages: %d round trips in %v (%.0f/s), server counted %d connection(s)\n",
		r.Mode, r.Target, r.MessageSize, s.N, r.Duration.Round(1e6), float64(s.N)/r.Duration.Seconds(), r.Connections)
	fmt.Fprintf(w, "  min %v  p50 %v  p90 %v  p99 %v  p99.9 %v  max %v  mean %v ± %v\n",
		s.Min, s.P50, s.P90, s.P99, s.P999, s.Max, s.Mean, s.Stddev)
	kinds := make([]string, 0, len(r.Errors))
	for k := range r.Errors {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(w, "  errors: %s × %d\n", k, r.Errors[k])
	}
	loadgen.WriteCPU(w, "  ", c)
}
