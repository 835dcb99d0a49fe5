package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

func init() { register(newStreamCmd) }

func newStreamCmd() *cobra.Command {
	var (
		target, duration, omit, interval, writeSize, streams, output string
		parallel                                                     int
		waitReachable                                                time.Duration
		reverse                                                      bool
		cpuFlags                                                     cpuFlags
	)
	cmd := &cobra.Command{
		Use:   "stream",
		Short: "Measure TCP throughput to a stream server, like iperf3",
		Long: `stream sends (or with --reverse receives) raw TCP streams to a
` + "`meshbench serve --stream-port`" + ` server for a duration and prints iperf3-style
interval reports: per-interval transfer, Gbit/s and retransmits (TCP_INFO),
then totals beside what the server itself counted, each connection's RTT and
congestion window, and the CPU used during the measured window with the busy
cores it cost per Gbit/s.

--streams 1,2,4,8 repeats the measurement at each parallelism, to see how many
connections saturate the path. Transfer is in binary units (MBytes = 2^20),
rates in decimal ones (Gbits/sec = 10^9), as iperf3 prints them.`,
		Example: `  meshbench serve --port 8080 --stream-port 5201 &
  meshbench stream --target 127.0.0.1:5201 --duration 10s --omit 1
  meshbench stream --target 127.0.0.1:5201 --streams 1,2,4,8 -o streams.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := loadgen.StreamConfig{Target: target, Reverse: reverse}
			var err error
			if cfg.Duration, err = parseSeconds("--duration", duration, false); err != nil {
				return err
			}
			if cfg.Omit, err = parseSeconds("--omit", omit, true); err != nil {
				return err
			}
			if cfg.Interval, err = parseSeconds("--interval", interval, false); err != nil {
				return err
			}
			// Every interval is kept in the document (and CPU is sampled
			// each second): iperf3's bounds keep them to 864,000 at most.
			if cfg.Interval < loadgen.MinStreamInterval {
				return usagef("--interval %q: want at least %v between reports (iperf3's minimum), e.g. 1s", interval, loadgen.MinStreamInterval)
			}
			if cfg.Duration > loadgen.MaxStreamDuration || cfg.Omit > loadgen.MaxStreamDuration {
				return usagef("--duration %q, --omit %q: want at most %v each (iperf3's limit)", duration, omit, loadgen.MaxStreamDuration)
			}
			n, err := loadgen.ParseSize(writeSize)
			if err != nil || n < 1 || n > 16<<20 {
				return usagef("--write-size %q: want a size of 1 byte to 16Mi, e.g. 128Ki", writeSize)
			}
			cfg.WriteSize = int(n)
			parallels := []int{parallel}
			if cmd.Flags().Changed("streams") {
				if parallels, err = parseCounts(streams); err != nil {
					return err
				}
			} else if parallel < 1 || parallel > loadgen.MaxStreamParallel {
				return usagef("--parallel %d: want 1 to %d connections (more wait in queues instead of streaming)", parallel, loadgen.MaxStreamParallel)
			}
			if err := checkWaitReachable(waitReachable); err != nil {
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
			cpuOpts, err := cpuFlags.options(cmd.Context())
			if err != nil {
				return err
			}
			report := reportWriter(cmd, output)
			cfg.CPU, cfg.ServerCPU = cpuOpts, cpuFlags.server()
			cfg.OnInterval = func(iv loadgen.StreamInterval) { loadgen.WriteStreamInterval(report, iv) }

			doc := results.New()
			doc.Flags = flagValues(cmd.Flags())
			for _, p := range parallels {
				cfg.Parallel = p
				loadgen.WriteStreamHeader(report, cfg)
				cell, err := loadgen.Stream(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				cell.Step = "0"
				cell.SizeLabel = writeSize
				loadgen.WriteStreamSummary(report, cell)
				if w := loadgen.StreamShortfall(cell); w != "" {
					fmt.Fprintln(report, "warning: "+w)
					doc.Notes = append(doc.Notes, w)
				}
				fmt.Fprintln(report)
				doc.Cells = append(doc.Cells, *cell)
				if cell.CPU != nil {
					doc.Notes = append(doc.Notes, cell.CPU.Notes...)
				}
			}
			loadgen.WriteStreamSweep(report, doc.Cells)
			return writeDoc(doc)
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "target", "", "stream server `HOST:PORT` (meshbench serve --stream-port)")
	f.StringVarP(&duration, "duration", "t", "10s", "measured time after --omit, e.g. 10s or 10")
	f.IntVarP(&parallel, "parallel", "P", 1, "parallel connections")
	f.StringVar(&streams, "streams", "", "sweep parallelism: comma-separated connection counts, e.g. 1,2,4,8 (overrides --parallel)")
	f.BoolVarP(&reverse, "reverse", "R", false, "the server sends, the client receives")
	f.StringVarP(&omit, "omit", "O", "0", "leave the first seconds out of every figure (slow start), e.g. 1 or 500ms")
	f.StringVarP(&writeSize, "write-size", "l", "128Ki", "bytes per write, e.g. 128Ki (iperf3's 128K), 1Mi")
	f.StringVarP(&interval, "interval", "i", "1s", "seconds between interval reports")
	f.DurationVar(&waitReachable, "wait-reachable", 0, waitReachableHelp)
	f.StringVarP(&output, "output", "o", "", "write the results document to FILE ('-' for stdout; the report then goes to stderr)")
	cpuFlags.register(f)
	return cmd
}

// parseSeconds reads a duration flag written as a Go duration ("10s",
// "500ms") or, like iperf3, a plain number of seconds ("10", "0.5").
func parseSeconds(flag, v string, zeroOK bool) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		f, ferr := strconv.ParseFloat(v, 64)
		if ferr != nil {
			d = -1
		} else {
			d = time.Duration(f * float64(time.Second))
		}
	}
	if d < 0 || (d == 0 && !zeroOK) {
		if zeroOK {
			return 0, usagef("%s %q: want zero or a positive duration, e.g. 1 or 1s or 500ms", flag, v)
		}
		return 0, usagef("%s %q: want a positive duration, e.g. 10 or 10s or 500ms", flag, v)
	}
	return d, nil
}

// checkWaitReachable refuses a negative --wait-reachable, which would
// otherwise mean "do not wait" without saying so.
func checkWaitReachable(d time.Duration) error {
	if d < 0 {
		return usagef("--wait-reachable %v: want 0 (no retry) or a positive duration, e.g. 60s", d)
	}
	return nil
}

// parseCounts reads --streams: positive connection counts.
func parseCounts(v string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > loadgen.MaxStreamParallel {
			return nil, usagef("--streams %q: want comma-separated connection counts of 1 to %d, e.g. 1,2,4,8", v, loadgen.MaxStreamParallel)
		}
		out = append(out, n)
	}
	return out, nil
}

// checkStreamTarget makes an unreachable or wrong target bad input, found
// before anything is measured. It retries for wait: a pod that has just
// started may not be admitted by the policy engine yet.
func checkStreamTarget(ctx context.Context, flag, target string, wait time.Duration) error {
	if target == "" {
		return usagef("%s: required, HOST:PORT of a `meshbench serve --stream-port` server", flag)
	}
	deadline := time.Now().Add(wait)
	for {
		_, err := loadgen.QueryStreamSession(ctx, target, 0, 3*time.Second)
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return usagef("%s %q: not a reachable stream server (%v); want HOST:PORT of `meshbench serve --stream-port`", flag, target, err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// waitReachableHelp is the help of --wait-reachable in stream and rtt.
const waitReachableHelp = "retry reaching the target this long before it counts as unreachable (a new pod may not be admitted yet)"

// reportWriter is where the human report goes: stderr when the document
// (-o -) takes stdout.
func reportWriter(cmd *cobra.Command, output string) io.Writer {
	if output == "-" {
		return cmd.ErrOrStderr()
	}
	return cmd.OutOrStdout()
}

// openDocument creates the results destination of --output before
// anything is measured, so a path that cannot be written fails first ("":
// no document, "-": standard output). write puts the document in place;
// discard, safe to defer, leaves an existing file as it was if write was
// not called or failed.
func openDocument(cmd *cobra.Command, path string) (write func(*results.Document) error, discard func(), err error) {
	if path == "" {
		return func(*results.Document) error { return nil }, func() {}, nil
	}
	w, done, err := openOutput(cmd, path)
	if err != nil {
		return nil, nil, err
	}
	write = func(d *results.Document) error {
		if err := d.Write(w); err != nil {
			done(false)
			return fmt.Errorf("writing results to %s: %w", path, err)
		}
		if err := done(true); err != nil {
			return fmt.Errorf("writing results to %s: %w", path, err)
		}
		return nil
	}
	return write, func() { done(false) }, nil
}

// flagValues records the effective settings of a run, by flag name.
func flagValues(fs *pflag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) { m[f.Name] = f.Value.String() })
	return m
}

// startStreamServer serves raw TCP streams beside `meshbench serve`'s HTTP
// when --stream-port is set, with the same injected delay for rr and crr
// answers; the returned wait blocks until it has stopped with ctx.
func startStreamServer(cmd *cobra.Command, address string, port int, delay time.Duration) (wait func(), err error) {
	if port == 0 {
		return func() {}, nil
	}
	if port < 0 || port > 65535 {
		return nil, usagef("--stream-port %d: want a TCP port 1..65535, or 0 for no stream listener", port)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
	if err != nil {
		return nil, err
	}
	srv := loadgen.NewStreamServer(loadgen.WithStreamDelay(delay))
	fmt.Fprintf(cmd.ErrOrStderr(), "meshbench serve: TCP streams, rr and crr on %s (delay %v)\n", ln.Addr(), delay)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(cmd.Context(), ln); err != nil {
			fmt.Fprintf(cmd.ErrOrStderr(), "meshbench serve: stream listener: %v\n", err)
		}
	}()
	return func() { <-done }, nil
}
