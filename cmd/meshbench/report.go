package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/internal/atomicfile"
	"github.com/meshbench/meshbench/results"
)

func init() { register(newReportCmd) }

// resultsTableFlags are the flags report and compare share.
type resultsTableFlags struct {
	output     string
	baseline   string
	statistic  string
	arm        string
	resamples  int
	confidence float64
	seed       uint64
	plot       string
	against    string
	reference  string

	// plotFile is created beside --plot when the flags are checked, so an
	// unwritable path fails before any work; discard removes it.
	plotFile *atomicfile.File
}

// discard removes what options opened and render did not use.
func (f *resultsTableFlags) discard() {
	if f.plotFile != nil {
		f.plotFile.Abort()
	}
}

func (f *resultsTableFlags) add(fs *pflag.FlagSet, baselineHelp string) {
	fs.StringVarP(&f.output, "output", "o", "table", "output format: table, markdown, csv, json or html (one self-contained page with the figures)")
	fs.StringVar(&f.baseline, "baseline", "", baselineHelp)
	fs.StringVar(&f.statistic, "statistic", "median", "statistic verdicts rest on: median or mean (the other is shown beside)")
	fs.StringVar(&f.arm, "arm", "", `arm the rows show: target, control, any target name of a load, or all (default "target" when the documents have it, else all)`)
	fs.IntVar(&f.resamples, "resamples", analysis.DefaultResamples, "bootstrap resamples per confidence interval")
	fs.Float64Var(&f.confidence, "confidence", analysis.DefaultConfidence, "confidence level of the intervals, between 0 and 1")
	fs.Uint64Var(&f.seed, "seed", analysis.DefaultSeed, "seed of the bootstrap (the same seed gives the same intervals)")
	fs.StringVar(&f.reference, "reference", "", "also show a published table for orientation: "+strings.Join(analysis.ReferenceNames(), ", "))
	fs.StringVar(&f.plot, "plot", "", "also draw the report to this image (.png, .svg or .pdf): latency cost per step in ms and % with CIs, request duration, and throughput, round trips and CPU when measured")
	fs.StringVar(&f.against, "plot-against", "", `what the plotted cost is measured against: control (target over control at the same step, same window) or baseline (each step against the baseline step, other windows) (default "control" when the documents have a control arm, else "baseline")`)
}

// render prints the report (the latency table, then throughput, round
// trips and CPU) and draws its figures when asked.
func (f *resultsTableFlags) render(w io.Writer, r *analysis.Report, format analysis.Format) error {
	if f.reference != "" && r.Latency != nil {
		r.Latency.Reference, _ = analysis.LookupReference(f.reference)
	}
	r.Plot = analysis.PlotOptions{Against: analysis.Against(f.against)}
	var figs []analysis.Figure
	if f.plot != "" || format == analysis.FormatHTML {
		var err error
		// Built before anything is printed: a plot the documents cannot
		// make is bad input, not half an output.
		if figs, err = r.Figures(r.Plot); err != nil {
			return resultsTableError(err)
		}
	}
	if err := analysis.RenderReport(w, r, format); err != nil {
		return err
	}
	if f.plotFile != nil {
		kind, _ := analysis.PlotFormat(f.plot)
		if err := analysis.PlotTo(f.plotFile, figs, kind); err != nil {
			return fmt.Errorf("--plot %q: %w", f.plot, err)
		}
		if err := f.plotFile.Commit(); err != nil {
			return fmt.Errorf("--plot %q: %w", f.plot, err)
		}
	}
	return nil
}

// options checks the flags and turns them into table options; the
// bootstrap stops when ctx is done (see interrupted).
func (f *resultsTableFlags) options(ctx context.Context) (analysis.TableOptions, analysis.Format, error) {
	var o analysis.TableOptions
	format, ok := analysis.ParseFormat(f.output)
	if !ok {
		return o, "", usagef("--output %q: want table, markdown, csv, json or html", f.output)
	}
	stat, ok := analysis.ParseStatistic(f.statistic)
	if !ok {
		return o, "", usagef("--statistic %q: want median or mean", f.statistic)
	}
	if f.resamples < 100 || f.resamples > analysis.MaxResamples {
		return o, "", usagef("--resamples %d: want 100 to %d resamples per interval, e.g. 2000 (every cell keeps its resamples in memory)", f.resamples, analysis.MaxResamples)
	}
	if !(f.confidence > 0 && f.confidence < 1) {
		return o, "", usagef("--confidence %v: want a level between 0 and 1, e.g. 0.95", f.confidence)
	}
	if _, ok := analysis.PlotFormat(f.plot); f.plot != "" && !ok {
		return o, "", usagef("--plot %q: want an image file ending in .png, .svg or .pdf", f.plot)
	}
	if _, ok := analysis.ParseAgainst(f.against); f.against != "" && !ok {
		return o, "", usagef("--plot-against %q: want control or baseline", f.against)
	}
	if f.against != "" && f.plot == "" && format != analysis.FormatHTML {
		return o, "", usagef("--plot-against %s: goes with --plot FILE or -o html, which draw the figures", f.against)
	}
	if _, err := analysis.LookupReference(f.reference); f.reference != "" && err != nil {
		return o, "", usagef("--reference %s", err)
	}
	if f.plot != "" {
		pf, err := atomicfile.Create(f.plot)
		if err != nil {
			return o, "", usagef("--plot %q: %v; want an image path in a directory that exists and can be written", f.plot, errors.Unwrap(err))
		}
		f.plotFile = pf
	}
	o = analysis.TableOptions{
		Baseline: f.baseline, Statistic: stat, Arm: f.arm,
		Compare: []analysis.Option{analysis.WithResamples(f.resamples), analysis.WithConfidence(f.confidence), analysis.WithSeed(f.seed), analysis.WithContext(ctx)},
	}
	return o, format, nil
}

func newReportCmd() *cobra.Command {
	var f resultsTableFlags
	c := &cobra.Command{
		Use:   "report FILE...",
		Short: "Render results as the Romana table: steps by sizes, in ms and as % overhead, with CIs",
		Long: `report reads one or more results documents (several files of one run merge;
"-" reads standard input) and prints request durations per step and response
size, and each step's overhead against the baseline step, absolute and in
percent, by median and by mean, with bootstrap confidence intervals. Where the
documents hold a target and a control arm it also prints the target-over-control
difference at each step (measured in the same window, free of drift) and the
A/A noise floor at the baseline. Throughput (Gbit/s per stream setting with
CIs and retransmits), round trips (rr and crr percentiles, the median's change
against the baseline) and CPU (user, system, softirq, steal in cores, the pod's
own cgroup, cores per Gbit/s) follow the latency table when the documents hold
them.`,
		Example: `  meshbench report results.json
  meshbench report -o markdown --baseline 0 step-*.json
  meshbench report -o csv --statistic mean results.json > table.csv`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("report: want one or more results files, e.g. meshbench report results.json")
			}
			opts, format, err := f.options(cmd.Context())
			if err != nil {
				return err
			}
			defer f.discard()
			docs, err := readResultsFiles(args)
			if err != nil {
				return err
			}
			r, err := analysis.BuildReport([]analysis.Source{{Docs: docs}}, opts)
			if err := interrupted(cmd.Context(), "report"); err != nil {
				return err
			}
			if err != nil {
				return resultsTableError(err)
			}
			return f.render(cmd.OutOrStdout(), r, format)
		},
	}
	f.add(c.Flags(), `baseline row: a step such as "0", or a mesh such as "none" (default: step 0, else mesh none, else the first row)`)
	return c
}

// readResultsFiles reads every file; an unreadable or invalid one is bad input.
func readResultsFiles(paths []string) ([]*results.Document, error) {
	docs := make([]*results.Document, len(paths))
	for i, p := range paths {
		var err error
		if p == "-" {
			docs[i], err = results.Read(os.Stdin)
			if err != nil {
				err = fmt.Errorf("standard input: %w", err)
			}
		} else {
			docs[i], err = results.ReadFile(p)
		}
		if err != nil {
			return nil, usagef("%s", reportOneLine(err.Error()))
		}
	}
	return docs, nil
}

// resultsTableError maps a table the input cannot make to bad input.
func resultsTableError(err error) error {
	var ie *analysis.InputError
	if errors.As(err, &ie) {
		return usagef("%s", ie.Error())
	}
	return err
}

func reportOneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// interrupted is the error of a command stopped by Ctrl-C or SIGTERM while
// it computed: what it had computed is incomplete and not shown.
func interrupted(ctx context.Context, what string) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%s interrupted; nothing printed", what)
	}
	return nil
}
