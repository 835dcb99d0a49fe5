package analysis

import (
	"fmt"
	"strconv"
)

// Figure is one row of panels of a report's plots: what is drawn, as data.
// Plot draws figures to an image and the HTML reporter inlines them as SVG;
// both draw exactly these numbers, so a test can hold a figure against the
// table it comes from.
type Figure struct {
	// Name identifies the figure: "latency", "duration", "throughput", "rtt", "cpu".
	Name   string  `json:"name"`
	Title  string  `json:"title"`
	Panels []Panel `json:"panels"`
	// SameY draws every panel on the same y range, so their heights compare.
	SameY bool `json:"sameY,omitempty"`
}

// Panel is one plot of a figure. Its series share the figure's legend.
type Panel struct {
	Title  string `json:"title"`
	XLabel string `json:"xLabel"`
	YLabel string `json:"yLabel"`
	// Ticks name the x positions when the rows are not policy counts.
	Ticks  []Tick   `json:"ticks,omitempty"`
	Series []Series `json:"series"`
	// ZeroLine draws y = 0: the panel shows differences.
	ZeroLine bool `json:"zeroLine,omitempty"`
}

// Tick is a named x position.
type Tick struct {
	X     float64 `json:"x"`
	Label string  `json:"label"`
}

// Series is one line of a panel: a size, a stream setting, a mode.
type Series struct {
	Name   string  `json:"name"`
	Points []Point `json:"points"`
}

// Point is one row's value; Lo and Hi bound its confidence interval when
// HasCI.
type Point struct {
	X     float64 `json:"x"`
	Row   string  `json:"row"`
	Y     float64 `json:"y"`
	Lo    float64 `json:"lo,omitempty"`
	Hi    float64 `json:"hi,omitempty"`
	HasCI bool    `json:"hasCI,omitempty"`
}

// Against chooses what the headline figures compare with.
type Against string

const (
	// AgainstControl: target over control at the same step, measured in the
	// same window (the default when the documents have a control arm).
	AgainstControl Against = "control"
	// AgainstBaseline: each step against the baseline step, measured in
	// another window, so the difference includes drift between them.
	AgainstBaseline Against = "baseline"
)

// ParseAgainst accepts control or baseline.
func ParseAgainst(s string) (Against, bool) {
	switch a := Against(s); a {
	case AgainstControl, AgainstBaseline:
		return a, true
	}
	return "", false
}

// PlotOptions choose what the figures show.
type PlotOptions struct {
	// Against is AgainstControl or AgainstBaseline; empty picks control
	// where a control arm was measured, else the baseline.
	Against Against
}

// Figures builds the report's figures: latency overhead (abs and %) and
// request duration, then throughput, round trips and CPU when measured.
// Asking for control figures when no table has a control arm is an input
// error naming --plot-against.
func (r *Report) Figures(o PlotOptions) ([]Figure, error) {
	if o.Against == AgainstControl && !r.hasPaired() {
		return nil, &InputError{"--plot-against", `"control": the documents have no control arm measured in the same window; want baseline`}
	}
	title := r.Facts.Title()
	var figs []Figure
	if t := r.Latency; t != nil {
		figs = append(figs, t.overheadFigure(title, r.against(o, t.hasPaired())), t.durationFigure(title))
	}
	if t := r.Throughput; t != nil {
		figs = append(figs, t.figure(title, r.against(o, t.anyPaired())))
	}
	if t := r.RTT; t != nil {
		figs = append(figs, t.figure(title, r.against(o, t.anyPaired())))
	}
	if t := r.CPU; t != nil && len(t.Rows) > 0 {
		figs = append(figs, t.figure(title))
	}
	return figs, nil
}

// against resolves the choice for one table: control only where that table
// has paired figures.
func (r *Report) against(o PlotOptions, paired bool) Against {
	if o.Against == AgainstBaseline || !paired {
		return AgainstBaseline
	}
	return AgainstControl
}

func (r *Report) hasPaired() bool {
	return (r.Latency != nil && r.Latency.hasPaired()) || (r.Throughput != nil && r.Throughput.anyPaired()) || (r.RTT != nil && r.RTT.anyPaired())
}

// axis places rows on the x axis: by policy count when every row is a
// numeric step of one source, else one slot per row named by a tick.
type axis struct {
	title string
	xs    map[string]float64
	ticks []Tick
}

func newAxis(rowTitle string, labels, steps []string) axis {
	a := axis{title: rowTitle, xs: map[string]float64{}}
	numeric := rowTitle == "policies"
	for i, l := range labels {
		n, err := strconv.Atoi(steps[i])
		numeric = numeric && err == nil
		a.xs[l] = float64(n)
	}
	if numeric {
		return a
	}
	a.ticks = nil
	for i, l := range labels {
		a.xs[l] = float64(i)
		a.ticks = append(a.ticks, Tick{X: float64(i), Label: l})
	}
	return a
}

func (a axis) panel(title, yLabel string, zero bool) Panel {
	return Panel{Title: title, XLabel: a.title, YLabel: yLabel, Ticks: a.ticks, ZeroLine: zero}
}

func (a axis) point(row string, y float64) Point { return Point{X: a.xs[row], Row: row, Y: y} }

func (a axis) ci(row string, y, lo, hi float64) Point {
	return Point{X: a.xs[row], Row: row, Y: y, Lo: lo, Hi: hi, HasCI: true}
}

func (t *Table) axis() axis {
	labels, steps := make([]string, len(t.Rows)), make([]string, len(t.Rows))
	for i, r := range t.Rows {
		labels[i], steps[i] = r.Label, r.Step
	}
	title := t.RowTitle
	if t.bySource() {
		// Policy counts of several runs: one x axis of counts, a line per run.
		title = "policies"
	}
	return newAxis(title, labels, steps)
}

// bySource is true when the rows come from several sources (a comparison)
// and every row is a policy count: each source is then drawn as a line of
// its own over the counts, never joined to another run's.
func (t *Table) bySource() bool {
	sources := map[string]bool{}
	for _, r := range t.Rows {
		if _, err := strconv.Atoi(r.Step); err != nil {
			return false
		}
		sources[r.Source] = true
	}
	return len(sources) > 1
}

// lines splits one size's points into a series per source when bySource,
// keeping the sources' order; else it is one series named by the size.
type lines struct {
	size   string
	split  bool
	order  []string
	series map[string]*Series
}

func (t *Table) lines(size string) *lines {
	return &lines{size: size, split: t.bySource(), series: map[string]*Series{}}
}

func (l *lines) add(r Row, p Point) {
	name := l.size
	if l.split {
		name = r.Source + " " + l.size
	}
	s, ok := l.series[name]
	if !ok {
		s = &Series{Name: name}
		l.series[name] = s
		l.order = append(l.order, name)
	}
	s.Points = append(s.Points, p)
}

func (l *lines) all() []Series {
	if len(l.order) == 0 {
		return []Series{{Name: l.size}}
	}
	out := make([]Series, 0, len(l.order))
	for _, n := range l.order {
		out = append(out, *l.series[n])
	}
	return out
}

// changeTitle names a panel of changes: target over control, or what
// against the baseline row, across windows.
func changeTitle(against Against, what, rowTitle, baseline string) string {
	if against == AgainstBaseline {
		return what + " vs " + baselineName(rowTitle, baseline) + " (other windows: includes drift)"
	}
	return "Target over control at the same step"
}

func rowIDs[R measuredRow[C], C any](rows []R) []RowID {
	ids := make([]RowID, len(rows))
	for i, r := range rows {
		ids[i] = r.id()
	}
	return ids
}

func measureAxis(rowTitle string, rows []RowID) axis {
	labels, steps := make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		labels[i], steps[i] = r.Label, r.Step
	}
	return newAxis(rowTitle, labels, steps)
}

// overheadFigure is the latency cost per step and size, absolute and in
// percent, with CIs: target over control when against is AgainstControl,
// else against the baseline step. These are the figures the verdicts rest on.
func (t *Table) overheadFigure(title string, against Against) Figure {
	a := t.axis()
	what := fmt.Sprintf("Target over control at the same step (%s, %.0f%% CI)", t.Statistic, 100*t.Confidence)
	of := func(c *Cell) *Overhead { return c.Paired }
	if against == AgainstBaseline {
		what = fmt.Sprintf("Overhead vs %s (%s, %.0f%% CI; other windows: includes drift)", t.baselineName(), t.Statistic, 100*t.Confidence)
		of = func(c *Cell) *Overhead { return c.Overhead }
	}
	abs, pct := a.panel(what+", ms", "ms", true), a.panel(what+", %", "%", true)
	for si, size := range t.Sizes {
		sa, sp := t.lines(size.Label), t.lines(size.Label)
		for _, r := range t.Rows {
			c := &r.Cells[si]
			if !c.Reported() {
				continue
			}
			if against == AgainstBaseline && r.Baseline {
				sa.add(r, a.point(r.Label, 0))
				sp.add(r, a.point(r.Label, 0))
				continue
			}
			o := of(c)
			if o == nil || !o.By(t.Statistic).Valid() {
				continue
			}
			d := o.By(t.Statistic)
			sa.add(r, a.ci(r.Label, msFloat(d.Diff), msFloat(d.CILow), msFloat(d.CIHigh)))
			sp.add(r, a.ci(r.Label, d.Percent, d.PercentCILow, d.PercentCIHigh))
		}
		abs.Series = append(abs.Series, sa.all()...)
		pct.Series = append(pct.Series, sp.all()...)
	}
	return Figure{Name: "latency", Title: "Request latency cost — " + title, Panels: []Panel{abs, pct}}
}

// durationFigure is the request duration of the rows' arm per step and
// size, and the control's beside it when measured: how far the machine
// drifted.
func (t *Table) durationFigure(title string) Figure {
	a := t.axis()
	arm := t.Arm
	if arm == "" {
		arm = "every arm"
	}
	p := a.panel(fmt.Sprintf("Request duration, %s, ms (%s)", arm, t.Statistic), "ms", false)
	var ctl *Panel
	if t.hasPaired() {
		c := a.panel(fmt.Sprintf("Request duration, control, ms (%s)", t.Statistic), "ms", false)
		ctl = &c
	}
	for si, size := range t.Sizes {
		s, cs := t.lines(size.Label), t.lines(size.Label)
		for _, r := range t.Rows {
			c := &r.Cells[si]
			if !c.Reported() {
				continue
			}
			s.add(r, a.point(r.Label, msFloat(pick(c.Summary, t.Statistic))))
			if c.Paired != nil && c.controlSummary != nil {
				cs.add(r, a.point(r.Label, msFloat(pick(*c.controlSummary, t.Statistic))))
			}
		}
		p.Series = append(p.Series, s.all()...)
		if ctl != nil {
			ctl.Series = append(ctl.Series, cs.all()...)
		}
	}
	f := Figure{Name: "duration", Title: "Request duration — " + title, Panels: []Panel{p}, SameY: true}
	if ctl != nil {
		f.Panels = append(f.Panels, *ctl)
	}
	return f
}

func msFloat[D ~int64](d D) float64 { return float64(d) / 1e6 }

// figure is throughput per step and stream setting, and its change in
// percent with CIs.
func (t *ThroughputTable) figure(title string, against Against) Figure {
	a := measureAxis(t.RowTitle, rowIDs(t.Rows))
	abs := a.panel(fmt.Sprintf("Throughput, Gbit/s (mean, %.0f%% CI)", 100*t.Confidence), "Gbit/s", false)
	pct := a.panel(fmt.Sprintf("%s, %% (%.0f%% CI)", changeTitle(against, "Throughput", t.RowTitle, t.Baseline), 100*t.Confidence), "%", true)
	for ci, col := range t.Columns {
		sa, sp := Series{Name: col.Label}, Series{Name: col.Label}
		for _, r := range t.Rows {
			c := r.Cells[ci]
			if c.Missing {
				continue
			}
			if c.Intervals > 1 {
				sa.Points = append(sa.Points, a.ci(r.Label, c.Gbps, c.GbpsCILow, c.GbpsCIHigh))
			} else {
				sa.Points = append(sa.Points, a.point(r.Label, c.Gbps))
			}
			d := c.Paired
			if against == AgainstBaseline {
				if r.Baseline {
					sp.Points = append(sp.Points, a.point(r.Label, 0))
					continue
				}
				d = c.Overhead
			}
			switch {
			case d == nil:
			case d.HasCI:
				sp.Points = append(sp.Points, a.ci(r.Label, d.Percent, d.PercentCILow, d.PercentCIHigh))
			default:
				sp.Points = append(sp.Points, a.point(r.Label, d.Percent))
			}
		}
		abs.Series = append(abs.Series, sa)
		pct.Series = append(pct.Series, sp)
	}
	return Figure{Name: "throughput", Title: "TCP throughput — " + title, Panels: []Panel{abs, pct}}
}

// figure is the round trips' median per step and mode, and its change in
// µs with CIs: crr is where a new connection's policy work shows.
func (t *RTTTable) figure(title string, against Against) Figure {
	a := measureAxis(t.RowTitle, rowIDs(t.Rows))
	abs := a.panel("Round trip, µs (p50)", "µs", false)
	diff := a.panel(fmt.Sprintf("%s, µs (p50, %.0f%% CI)", changeTitle(against, "Round trip", t.RowTitle, t.Baseline), 100*t.Confidence), "µs", true)
	for ci, col := range t.Columns {
		sa, sd := Series{Name: col.Label}, Series{Name: col.Label}
		for _, r := range t.Rows {
			c := r.Cells[ci]
			if c.Missing || c.Summary.N == 0 {
				continue
			}
			sa.Points = append(sa.Points, a.point(r.Label, usFloat(c.Summary.P50)))
			d := c.Paired
			if against == AgainstBaseline {
				if r.Baseline {
					sd.Points = append(sd.Points, a.point(r.Label, 0))
					continue
				}
				d = c.Overhead
			}
			if d != nil && d.Valid() {
				sd.Points = append(sd.Points, a.ci(r.Label, usFloat(d.Diff), usFloat(d.CILow), usFloat(d.CIHigh)))
			}
		}
		abs.Series = append(abs.Series, sa)
		diff.Series = append(diff.Series, sd)
	}
	return Figure{Name: "rtt", Title: "TCP round trips — " + title, Panels: []Panel{abs, diff}}
}

func usFloat[D ~int64](d D) float64 { return float64(d) / 1e3 }

// figure is the node's busy and softirq cores per step, one line per
// measurement and side.
func (t *CPUTable) figure(title string) Figure {
	var rows []RowID
	seen := map[string]bool{}
	for _, r := range t.Rows {
		if !seen[r.Label] {
			seen[r.Label] = true
			rows = append(rows, r.RowID)
		}
	}
	a := measureAxis(t.RowTitle, rows)
	busy := a.panel("CPU busy, cores (node-wide)", "cores", false)
	soft := a.panel("CPU in softirq, cores (where packets and netfilter run)", "cores", false)
	index := map[string]int{}
	for _, r := range t.Rows {
		name := r.Measurement + ", " + r.Side
		i, ok := index[name]
		if !ok {
			i = len(busy.Series)
			index[name] = i
			busy.Series = append(busy.Series, Series{Name: name})
			soft.Series = append(soft.Series, Series{Name: name})
		}
		busy.Series[i].Points = append(busy.Series[i].Points, a.point(r.Label, r.Busy))
		soft.Series[i].Points = append(soft.Series[i].Points, a.point(r.Label, r.Softirq))
	}
	return Figure{Name: "cpu", Title: "CPU — " + title, Panels: []Panel{busy, soft}}
}
