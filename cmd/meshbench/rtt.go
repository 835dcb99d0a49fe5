package main

import (
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

func init() { register(newRTTCmd) }

func newRTTCmd() *cobra.Command {
	var (
		mode, size, timeout, output string
		targets                     []string
		requests, warmup            int
		rate                        float64
		waitReachable               time.Duration
		linger                      lingerFlag
		settle                      settleFlag
		cpuFlags                    cpuFlags
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

Several crr targets (--target target=HOST:PORT --target control=HOST:PORT)
alternate round trip by round trip in one run, so a difference between them
carries no drift of the machine over the run; CPU is not sampled then (its
figures need a window per target).

Why TCP and not ICMP ping: meshes and policy engines carry and filter TCP;
ping takes a path the application's traffic never takes.`,
		Example: `  meshbench rtt --target 127.0.0.1:5201 --mode rr --requests 10000
  meshbench rtt --target 127.0.0.1:5201 --mode crr --requests 2000 -o crr.json
  meshbench rtt --mode crr --target target=10.244.0.2:5201 --target control=10.244.0.3:5201`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := loadgen.RTTConfig{Mode: mode, Requests: requests, Warmup: warmup, Rate: rate}
			if !(rate >= 0 && rate <= loadgen.MaxRTTRate) {
				return usagef("--rate %g: want 0 (back to back) to %d round trips per second (per target when they alternate), e.g. 100", rate, loadgen.MaxRTTRate)
			}
			if mode != loadgen.ModeRR && mode != loadgen.ModeCRR {
				return usagef("--mode %q: want rr (round trips on one connection) or crr (a new connection per round trip)", mode)
			}
			arms, err := parseRTTTargets(targets)
			if err != nil {
				return err
			}
			if len(arms) > 1 {
				if mode != loadgen.ModeCRR {
					return usagef("--target given %d times: targets alternate in crr only (--mode crr); rr keeps one connection per target, so measure each with its own run", len(arms))
				}
				for _, name := range []string{"cgroup", "prometheus", "prometheus-query"} {
					if cmd.Flags().Changed(name) {
						return usagef("--%s: CPU is not sampled when --target is given %d times (the targets alternate, and CPU figures need a window per target)", name, len(arms))
					}
				}
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
			for _, a := range arms {
				if err := checkStreamTarget(cmd.Context(), "--target", a.Target, waitReachable); err != nil {
					return err
				}
			}
			if err := settle.wait(cmd.Context()); err != nil {
				return err
			}
			doc := results.New()
			doc.Flags = flagValues(cmd.Flags())
			var cells []*results.Cell
			if len(arms) == 1 {
				cfg.Target, cfg.Name = arms[0].Target, arms[0].Name
				if cfg.CPU, err = cpuFlags.options(cmd.Context()); err != nil {
					return err
				}
				cfg.ServerCPU = cpuFlags.server()
				cell, err := loadgen.RoundTrips(cmd.Context(), cfg)
				if err != nil {
					return err
				}
				cells = append(cells, cell)
			} else {
				cfgs := make([]loadgen.RTTConfig, len(arms))
				for i, a := range arms {
					cfgs[i] = cfg
					cfgs[i].Target, cfgs[i].Name = a.Target, a.Name
				}
				if cells, err = loadgen.AlternatingCRR(cmd.Context(), cfgs); err != nil {
					return err
				}
				doc.Notes = append(doc.Notes, fmt.Sprintf("crr round trips alternated between %d targets, one each in turn; CPU not sampled (its figures need a window per target)", len(arms)))
			}
			report := reportWriter(cmd, output)
			for _, cell := range cells {
				cell.Step = "0"
				writeRTTReport(report, cell)
				doc.Cells = append(doc.Cells, *cell)
				if cell.CPU != nil {
					doc.Notes = append(doc.Notes, cell.CPU.Notes...)
				}
			}
			if err := writeDoc(doc); err != nil {
				return err
			}
			linger.wait(cmd.Context())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&targets, "target", nil, "stream server `[NAME=]HOST:PORT` (meshbench serve --stream-port); repeat with --mode crr to alternate between targets")
	f.StringVar(&mode, "mode", loadgen.ModeRR, "rr (one connection) or crr (a connection per round trip)")
	f.IntVarP(&requests, "requests", "n", 10000, "measured round trips")
	f.IntVar(&warmup, "warmup", 100, "round trips before measuring, discarded")
	f.Float64Var(&rate, "rate", 0, "round trips per second (per target when they alternate), warm-up included; 0 runs them back to back")
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

// rttArm is one --target of rtt: its name in the results and its address.
type rttArm struct{ Name, Target string }

// parseRTTTargets reads the --target values: [NAME=]HOST:PORT each, names
// unique. A single unnamed target keeps its address as its name.
func parseRTTTargets(specs []string) ([]rttArm, error) {
	if len(specs) == 0 {
		return nil, usagef("--target: required, [NAME=]HOST:PORT of a `meshbench serve --stream-port` server, e.g. --target 127.0.0.1:5201")
	}
	seen := map[string]bool{}
	var arms []rttArm
	for i, spec := range specs {
		name, addr := "", spec
		if j := strings.Index(spec, "="); j >= 0 {
			name, addr = spec[:j], spec[j+1:]
			if name == "" || strings.ContainsAny(name, ":/[]") {
				return nil, usagef("--target %q: want [NAME=]HOST:PORT with a name of letters, digits or dashes, e.g. control=10.0.0.3:5201", spec)
			}
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, usagef("--target %q: want [NAME=]HOST:PORT, e.g. control=10.0.0.3:5201", spec)
		}
		if name == "" && len(specs) > 1 {
			name = defaultTargetName(i)
		}
		if name != "" && seen[name] {
			return nil, usagef("--target %q: the name %s is given twice; want a name per target", spec, name)
		}
		seen[name] = true
		arms = append(arms, rttArm{Name: name, Target: addr})
	}
	return arms, nil
}
