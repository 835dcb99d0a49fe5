package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/internal/atomicfile"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

func init() { register(newLoadCmd) }

func newLoadCmd() *cobra.Command {
	var (
		targets       []string
		sizes         []string
		requests      int
		rate          float64
		timeout       time.Duration
		warmup        int
		rounds        int
		keepAlive     bool
		waitReachable time.Duration
		linger        lingerFlag
		settle        settleFlag
		output        string
	)
	cmd := &cobra.Command{
		Use:   "load [flags] [NAME=]URL...",
		Short: "Drive HTTP load at a fixed rate, one new TCP connection per request",
		Long: `load sends requests at a fixed rate to one or more targets (meshbench serve
servers, or any URL) and records every request's duration, dial to last body
byte, in a versioned results document (see meshbench report).

Keep-alive is off by default: every request opens a new TCP connection, as in
the Romana study. Several targets alternate request by request in the same
window (--target target=URL --target control=URL), so a comparison between
them shares the machine's drift. Sizes are measured in turn, interleaved in
--rounds rounds. Each request adds size=<bytes> to the target URL's query.

Sizes: k, M, G are 1000-based (1k = 1000 bytes); Ki, Mi, Gi are 1024-based
(1Ki = 1024 bytes).

Against a meshbench server, new connections are read from its /stats before
and after each window and recorded per cell. Errors are counted by kind
(timeout, connection refused, status NNN, short body). A cell whose rate fell
more than 5% short of --rate is marked behind.`,
		Example: `  meshbench serve --port 8080 &
  meshbench load --target http://127.0.0.1:8080 -o results.json
  meshbench load --target target=http://10.0.0.2:8080 --target control=http://10.0.0.3:8080 \
      --sizes .5k,1k,1M --requests 2000 --rate 100 --rounds 3 -o -`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg := loadgen.Config{
				Requests: requests, Rate: rate, Timeout: timeout, Warmup: warmup,
				Rounds: rounds, KeepAlive: keepAlive,
			}
			if err := linger.check(); err != nil {
				return err
			}
			if err := settle.check(); err != nil {
				return err
			}
			specs := append(append([]string{}, targets...), args...)
			if len(specs) == 0 {
				return usagef("--target: no target; want --target [NAME=]URL, e.g. --target http://127.0.0.1:8080")
			}
			for i, spec := range specs {
				t, err := loadgen.ParseTarget(spec, defaultTargetName(i))
				if err != nil {
					return usagef("--target %v", err)
				}
				cfg.Targets = append(cfg.Targets, t)
			}
			var err error
			if cfg.Sizes, err = loadgen.ParseSizes(sizes); err != nil {
				return usagef("--sizes: %v", err)
			}
			if err := cfg.ValidateFlags(); err != nil {
				var ce *loadgen.ConfigError
				if errors.As(err, &ce) {
					return usagef("%s", ce.FlagMessage())
				}
				return usageErr(err)
			}
			if err := checkWaitReachable(waitReachable); err != nil {
				return err
			}
			out, cleanup, err := openOutput(cmd, output)
			if err != nil {
				return err
			}
			stderr := cmd.ErrOrStderr()
			if isTerminal(stderr) {
				cfg.Progress = stderr
			} else {
				cfg.Log = stderr
			}
			if err := loadgen.WaitReachable(cmd.Context(), cfg.Targets, timeout, waitReachable); err != nil {
				cleanup(false)
				var ue *loadgen.UnreachableError
				if errors.As(err, &ue) {
					return usageErr(err)
				}
				return err
			}
			if err := settle.wait(cmd.Context()); err != nil {
				cleanup(false)
				return err
			}
			doc, err := loadgen.Load(cmd.Context(), cfg)
			if err != nil {
				cleanup(false)
				if cmd.Context().Err() != nil {
					return errors.New("load interrupted; no results written")
				}
				return err
			}
			doc.Command = commandLine(cmd)
			doc.Flags = effectiveFlags(cmd.Flags())
			if err := doc.Write(out); err != nil {
				cleanup(false)
				return fmt.Errorf("writing results: %w", err)
			}
			if err := cleanup(true); err != nil {
				return fmt.Errorf("writing results: %w", err)
			}
			printSummary(stderr, doc)
			linger.wait(cmd.Context())
			return nil
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&targets, "target", "t", nil, "[NAME=]URL to load; repeat to alternate between targets (names default to A, B, ...)")
	f.StringSliceVar(&sizes, "sizes", loadgen.DefaultSizes, "response sizes, e.g. .5k,1k,10k,100k,1M (k=1000, Ki=1024)")
	f.IntVarP(&requests, "requests", "n", loadgen.DefaultRequests, "measured requests per target and size")
	f.Float64VarP(&rate, "rate", "r", loadgen.DefaultRate, "requests per second per target")
	f.DurationVar(&timeout, "timeout", loadgen.DefaultTimeout, "per-request timeout, dial to last body byte")
	f.IntVar(&warmup, "warmup", loadgen.DefaultWarmup, "requests per target sent first and discarded")
	f.IntVar(&rounds, "rounds", loadgen.DefaultRounds, "rounds the requests of each size are split into, sizes rotated per round")
	f.BoolVar(&keepAlive, "keepalive", false, "reuse connections (default: one new TCP connection per request)")
	f.StringVarP(&output, "output", "o", "-", "results file; - writes to standard output")
	f.DurationVar(&waitReachable, "wait-reachable", 0, "retry the first request this long before a target counts as unreachable (a new pod may not be admitted yet)")
	linger.register(f)
	settle.register(f)
	return cmd
}

// defaultTargetName names the i-th unnamed target A, B, ..., Z, T27, ...
func defaultTargetName(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return fmt.Sprintf("T%d", i+1)
}

// openOutput creates the results destination before the run, so a path
// that cannot be written fails at once. The document goes to a temporary
// file beside path that replaces it only on cleanup(true): a failed or
// interrupted run leaves an existing file as it was.
func openOutput(cmd *cobra.Command, path string) (io.Writer, func(keep bool) error, error) {
	if path == "-" || path == "" {
		return cmd.OutOrStdout(), func(bool) error { return nil }, nil
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, nil, usagef("--output %q: %v; want a file in a directory that exists and can be written, or - for standard output", path, errors.Unwrap(err))
	}
	return f, func(keep bool) error {
		if !keep {
			f.Abort()
			return nil
		}
		return f.Commit()
	}, nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// commandLine is the command as given: "meshbench load" and the flags set,
// written so the line can be run again.
func commandLine(cmd *cobra.Command) []string {
	out := strings.Fields(cmd.CommandPath())
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if sv, ok := f.Value.(pflag.SliceValue); ok && f.Value.Type() == "stringArray" {
			for _, v := range sv.GetSlice() {
				out = append(out, "--"+f.Name+"="+v)
			}
			return
		}
		out = append(out, "--"+f.Name+"="+flagValue(f))
	})
	return append(out, cmd.Flags().Args()...)
}

// effectiveFlags are every flag's value, set or default.
func effectiveFlags(fs *pflag.FlagSet) map[string]string {
	m := map[string]string{}
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Name != "help" {
			m[f.Name] = flagValue(f)
		}
	})
	return m
}

// flagValue writes list flags as a comma-separated list, not pflag's "[a,b]".
func flagValue(f *pflag.Flag) string {
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		return strings.Join(sv.GetSlice(), ",")
	}
	return f.Value.String()
}

// printSummary writes one line per cell: the figures a user looks at first.
func printSummary(w io.Writer, doc *results.Document) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\tsize\tok\terrors\tnew conns\trate/s\tp50\tmean\tp99\t")
	for _, c := range doc.Cells {
		lat := c.Latency
		if lat == nil {
			continue
		}
		s := analysis.Summarize(lat.SamplesNs)
		errs := 0
		for _, n := range lat.Errors {
			errs += n
		}
		conns := "-"
		if lat.NewConnections >= 0 {
			conns = fmt.Sprint(lat.NewConnections)
		}
		rate := fmt.Sprintf("%.1f", lat.AchievedRate)
		if lat.Behind {
			rate += " BEHIND"
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%v\t%v\t%v\t\n", c.Arm, c.SizeLabel, s.N, errs, conns, rate,
			s.P50.Round(time.Microsecond), s.Mean.Round(time.Microsecond), s.P99.Round(time.Microsecond))
	}
	tw.Flush()
	for _, n := range doc.Notes {
		fmt.Fprintln(w, "note: "+n)
	}
}
