package analysis

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/meshbench/meshbench/results"
)

// Table is the Romana table of one or more results documents: rows are
// steps (policy counts) or configurations, columns are response sizes, and
// every cell carries its summary and its overhead against the baseline row.
type Table struct {
	// RowTitle names what the rows are: "policies", "step", "configuration", "target".
	RowTitle string `json:"rowTitle"`
	// Statistic is the statistic verdicts rest on; the other one is shown beside.
	Statistic Statistic `json:"statistic"`
	// Arm is the arm the rows show ("target" by default for runs); empty when
	// every arm of a plain load is a row of its own.
	Arm string `json:"arm,omitempty"`
	// Baseline is the label of the row every overhead is measured against.
	Baseline   string  `json:"baseline"`
	Confidence float64 `json:"confidence"`
	Resamples  int     `json:"resamples"`
	Sizes      []Size  `json:"sizes"`
	Rows       []Row   `json:"rows"`
	// NoiseFloor is, per size, the target-over-control difference at the
	// baseline step when nothing is applied there: both arms are then the same
	// kind of server in the same window, so its interval should include 0.
	// Nil when the documents have no control arm.
	NoiseFloor []*Overhead `json:"noiseFloor,omitempty"`
	// Slopes are the latency cost per policy of every configuration
	// measured at two policy counts or more, per size.
	Slopes []Slope `json:"slopes,omitempty"`
	// Load describes the load settings of the documents (rate, requests, ...).
	Load []string `json:"load,omitempty"`
	// Notes are warnings a reader must see: flagged cells, differing rates,
	// rows measured in different windows.
	Notes []string `json:"notes,omitempty"`
	// Reference is a published table shown beside this one, if asked for.
	Reference *Reference `json:"reference,omitempty"`
}

// Size is one column.
type Size struct {
	Label string `json:"label"`
	Bytes int64  `json:"bytes"`
}

// Row is one step or configuration.
type Row struct {
	RowID
	// Enforcement is how the run confirmed the step's policies before
	// measuring it; nil for plain loads.
	Enforcement *results.Enforcement `json:"enforcement,omitempty"`
	// Cells are aligned with Table.Sizes.
	Cells []Cell `json:"cells"`
}

// Cell is one row at one size.
type Cell struct {
	Size string `json:"size"`
	// Missing is true when no document has this row at this size.
	Missing        bool           `json:"missing,omitempty"`
	Summary        Summary        `json:"summary"`
	Requests       int            `json:"requests"`
	Errors         map[string]int `json:"errors,omitempty"`
	NewConnections int64          `json:"newConnections"`
	Rate           float64        `json:"rate"`
	AchievedRate   float64        `json:"achievedRate"`
	// Flags say why a cell's numbers need care: FlagBehind cells are not
	// reported; FlagErrors and FlagConnections cells are reported, marked.
	Flags []string `json:"flags,omitempty"`
	// Overhead is against the baseline row at the same size; nil on the
	// baseline row itself and where either cell is missing.
	Overhead *Overhead `json:"overhead,omitempty"`
	// Paired is the target arm over the control arm at the same step and
	// size. Both arms alternated request by request in the same window, so
	// this figure is free of drift between steps.
	Paired *Overhead `json:"paired,omitempty"`

	samples     []int64
	enforcement *results.Enforcement
	// controlSummary is the control arm's at the same step and size, the
	// other side of Paired.
	controlSummary *Summary
}

// Reported is false for missing cells, cells whose rate fell behind (their
// numbers do not describe the asked load) and cells without a successful
// request.
func (c *Cell) Reported() bool {
	return !c.Missing && !slices.Contains(c.Flags, FlagBehind) && !slices.Contains(c.Flags, FlagEmpty)
}

// Overhead is a difference by both statistics.
type Overhead struct {
	Median Difference `json:"median"`
	Mean   Difference `json:"mean"`
}

// By returns the difference by stat.
func (o *Overhead) By(stat Statistic) Difference {
	if stat == Mean {
		return o.Mean
	}
	return o.Median
}

// ArmAll as TableOptions.Arm makes every arm a row of its own.
const ArmAll = "all"

// TableOptions choose how a table is built.
type TableOptions struct {
	// Baseline picks the baseline row by label, step, mesh or source label.
	// Empty: the first row at step "0", else the first row of mesh "none",
	// else the first row.
	Baseline string
	// Statistic is what verdicts rest on: Median (default) or Mean.
	Statistic Statistic
	// Arm picks the arm the rows show. Empty: "target" when the documents
	// have it, else every arm is a row; ArmAll: every arm is a row.
	Arm string
	// Compare are the bootstrap options (resamples, confidence, seed).
	Compare []Option
}

// Source is one or more documents shown under one label. Report merges its
// files into one source; compare makes one source per file.
type Source struct {
	Label string
	Docs  []*results.Document
}

// InputError is a table that cannot be built from the given input and
// options; Flag names the option at fault (empty for the documents).
type InputError struct {
	Flag string
	Msg  string
}

func (e *InputError) Error() string {
	if e.Flag == "" {
		return e.Msg
	}
	return e.Flag + " " + e.Msg
}

// BuildTable builds the table of the latency cells of sources.
func BuildTable(sources []Source, o TableOptions) (*Table, error) {
	if o.Statistic == "" {
		o.Statistic = Median
	}
	if _, ok := ParseStatistic(string(o.Statistic)); !ok {
		return nil, &InputError{"--statistic", fmt.Sprintf("%q: want median or mean", o.Statistic)}
	}
	g, err := group(sources, o.Arm)
	if err != nil {
		return nil, err
	}
	copts := newOptions(o.Compare)
	load := g.loadLines() // may add a note
	t := &Table{
		RowTitle: g.rowTitle(), Statistic: o.Statistic, Arm: g.arm,
		Confidence: copts.confidence, Resamples: copts.resamples,
		Sizes: g.sizes, Load: load, Notes: g.notes,
	}
	t.Rows = g.rows()
	base, err := pickBaseline(t.Rows, o.Baseline)
	if err != nil {
		return nil, err
	}
	t.Rows[base].Baseline = true
	t.Baseline = t.Rows[base].Label
	t.compute(base, g, o.Compare)
	t.noiseFloor(base)
	t.Notes = append(t.Notes, t.flagNotes(g)...)
	if len(sources) > 1 {
		t.Notes = append(t.Notes, "rows from different files were measured in different windows: their overheads include any drift between the runs; the paired target-over-control figures within each file do not")
	}
	return t, nil
}

// pickBaseline returns the index of the baseline row.
func pickBaseline(rows []Row, want string) (int, error) {
	if want == "" {
		for _, match := range []func(r Row) bool{
			func(r Row) bool { return r.Step == "0" },
			func(r Row) bool { return r.Mesh == "none" },
		} {
			if i := slices.IndexFunc(rows, match); i >= 0 {
				return i, nil
			}
		}
		return 0, nil
	}
	for _, match := range []func(r Row) bool{
		func(r Row) bool { return r.Label == want },
		func(r Row) bool { return r.Source == want },
		func(r Row) bool { return r.Step == want },
		func(r Row) bool { return r.Mesh == want },
	} {
		if i := slices.IndexFunc(rows, match); i >= 0 {
			return i, nil
		}
	}
	labels := make([]string, len(rows))
	for i, r := range rows {
		labels[i] = r.Label
	}
	return 0, &InputError{"--baseline", fmt.Sprintf("%q: no such row; want one of %s", want, strings.Join(labels, ", "))}
}

// compute fills every cell's overheads. Each cell is resampled once per
// statistic, on a stream of its own, however many comparisons it is part
// of; the resampling runs on every core.
func (t *Table) compute(base int, g *grouping, opts []Option) {
	o := newOptions(opts)
	cells := map[cellKey]*dists{}
	var jobs []func()
	need := func(k cellKey, samples []int64) *dists {
		if d, ok := cells[k]; ok {
			return d
		}
		d := &dists{}
		cells[k] = d
		stream := uint64(2 * len(cells))
		jobs = append(jobs,
			func() { d.median = resampled(newQuantileEstimator(samples, 500_000), o, stream) },
			func() { d.mean = resampled(&meanEstimator{samples: samples}, o, stream+1) })
		return d
	}
	type comparison struct {
		into        **Overhead
		base, other *dists
	}
	var comparisons []comparison
	for r := range t.Rows {
		for s, size := range t.Sizes {
			c := &t.Rows[r].Cells[s]
			if c.Missing {
				continue
			}
			self := need(cellKey{t.Rows[r].key, size.Bytes}, c.samples)
			if b := &t.Rows[base].Cells[s]; r != base && !b.Missing {
				comparisons = append(comparisons, comparison{&c.Overhead, need(cellKey{t.Rows[base].key, size.Bytes}, b.samples), self})
			}
			if k, ctl := g.control(t.Rows[r], size.Bytes); ctl != nil {
				cs := Summarize(ctl)
				c.controlSummary = &cs
				comparisons = append(comparisons, comparison{&c.Paired, need(k, ctl), self})
			}
		}
	}
	run(jobs)
	for _, c := range comparisons {
		*c.into = &Overhead{
			Median: difference(Median, c.base.median, c.other.median, o),
			Mean:   difference(Mean, c.base.mean, c.other.mean, o),
		}
	}
	t.Slopes = t.fitSlopes(g, cells, o)
}

// dists are one cell's bootstrap distributions by statistic.
type dists struct{ median, mean distribution }

func (d *dists) by(stat Statistic) distribution {
	if stat == Mean {
		return d.mean
	}
	return d.median
}

func run(jobs []func()) {
	var wg sync.WaitGroup
	next := make(chan func())
	for range min(runtime.GOMAXPROCS(0), max(len(jobs), 1)) {
		wg.Go(func() {
			for j := range next {
				j()
			}
		})
	}
	for _, j := range jobs {
		next <- j
	}
	close(next)
	wg.Wait()
}

// noiseFloor copies the baseline row's paired figures when nothing is
// applied at the baseline step, so target and control are alike.
func (t *Table) noiseFloor(base int) {
	b := t.Rows[base]
	// Only a run's step says what is applied; a plain load's arms may be
	// different servers on purpose.
	if b.Step == "" || b.Policies != 0 {
		return
	}
	var nf []*Overhead
	found := false
	for _, c := range b.Cells {
		nf = append(nf, c.Paired)
		found = found || c.Paired != nil
	}
	if found {
		t.NoiseFloor = nf
	}
}
