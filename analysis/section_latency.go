package analysis

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// section lays the latency table out: heading, the Romana grids, the
// verdicts, noise floor and enforcement in words, legend, notes and one
// tidy record per row and size.
func (t *Table) section() Section {
	s := Section{Name: "latency", Heading: t.heading(), Grids: t.grids(), Legend: t.legend(), Notes: t.Notes, Records: t.records()}
	for _, l := range []List{t.verdicts(), t.noiseFloorList(), t.enforcement()} {
		if len(l.Items) > 0 {
			s.Lists = append(s.Lists, l)
		}
	}
	return s
}

// other is the statistic shown beside the verdict's.
func (t *Table) other() Statistic {
	if t.Statistic == Mean {
		return Median
	}
	return Mean
}

// heading is the lines above the grids: what the table shows and how.
func (t *Table) heading() []string {
	what := fmt.Sprintf("Request duration by %s and response size", t.RowTitle)
	if t.Arm != "" {
		what += fmt.Sprintf(", %s arm", t.Arm)
	}
	lines := []string{what + "; overhead against " + t.baselineName() + "."}
	for _, l := range t.Load {
		lines = append(lines, "Load: "+l+".")
	}
	lines = append(lines, fmt.Sprintf("Verdicts rest on the %s (%.0f%% percentile-bootstrap CI, %d resamples); the %s is shown beside%s.",
		t.Statistic, 100*t.Confidence, t.Resamples, t.other(), romanaNote(t.other())))
	return lines
}

func romanaNote(s Statistic) string {
	if s == Mean {
		return " (Romana reported means; rare multi-millisecond outliers make its CI wide)"
	}
	return ""
}

func (t *Table) baselineName() string {
	if t.RowTitle == "policies" {
		return t.Baseline + " policies"
	}
	return t.Baseline
}

// legend explains the marks used in the grids.
func (t *Table) legend() []string {
	var lines []string
	if t.anyDifference() {
		lines = append(lines, fmt.Sprintf("* the %.0f%% CI excludes 0: the difference is significant. ± is half the CI's width; [lo, hi] its bounds.", 100*t.Confidence))
	}
	if t.anyFlagged() {
		lines = append(lines, "! the cell is flagged (see notes). behind: the client fell behind the asked rate; empty: no request succeeded; neither is reported.")
	}
	return lines
}

// anyDifference is true when some cell was compared with another: only
// then does the significance mark need explaining.
func (t *Table) anyDifference() bool {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c.Overhead != nil || c.Paired != nil {
				return true
			}
		}
	}
	return false
}

func (t *Table) anyFlagged() bool {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if len(c.Flags) > 0 {
				return true
			}
		}
	}
	return false
}

func (t *Table) grids() []Grid {
	stat, oth := t.Statistic, t.other()
	grids := []Grid{
		t.grid(fmt.Sprintf("Request duration, ms: %s (%s)", stat, oth), func(_ Row, c *Cell) string {
			return ms(pick(c.Summary, stat)) + " (" + ms(pick(c.Summary, oth)) + ")"
		}, false),
	}
	vs := "Overhead vs " + t.baselineName()
	for _, s := range []Statistic{stat, oth} {
		if len(t.Rows) < 2 {
			break // nothing to compare with the baseline
		}
		grids = append(grids,
			t.grid(fmt.Sprintf("%s, ms: %s ± CI", vs, s), overheadCell(s, diffMs), true),
			t.grid(fmt.Sprintf("%s, %%: %s [CI]", vs, s), overheadCell(s, diffPercent), true))
	}
	if t.Reference != nil {
		grids = append(grids, t.Reference.grid())
	}
	if t.hasPaired() {
		title := "Target over control at the same step (same window, free of drift)"
		grids = append(grids,
			t.grid(fmt.Sprintf("%s, ms: %s ± CI", title, stat), pairedCell(stat, diffMs), false),
			t.grid(fmt.Sprintf("%s, %%: %s [CI]", title, stat), pairedCell(stat, diffPercent), false))
	}
	if len(t.Slopes) > 0 {
		grids = append(grids, t.slopeGrid())
	}
	return grids
}

// slopeGrid is the cost per policy of every configuration, with Romana's
// beside it for orientation.
func (t *Table) slopeGrid() Grid {
	g := newGrid(fmt.Sprintf("Cost per policy: slope of target over control against the policy count, µs per policy: %s [%.0f%% CI]", t.Statistic, 100*t.Confidence),
		"configuration", []string{"size", "policies fitted", "µs per policy"})
	for _, s := range t.Slopes {
		var steps []string
		for _, n := range s.Policies {
			steps = append(steps, fmt.Sprint(n))
		}
		mark := ""
		if s.Significant {
			mark = " *"
		}
		g.add(s.Config, []string{s.Size, strings.Join(steps, ","), fmt.Sprintf("%+.3f [%+.3f, %+.3f]%s", usFloat(s.PerPolicy), usFloat(s.CILow), usFloat(s.CIHigh), mark)})
	}
	romana := References["romana"]
	per, size := romana.ReferenceSlope()
	g.add("Romana 2016 (reference)", []string{size, "0,10,50,100,200", fmt.Sprintf("%+.3f (mean over 0 policies, no control arm)", usFloat(per))})
	return g
}

// noiseFloorList describes the A/A difference at the baseline step.
func (t *Table) noiseFloorList() List {
	if t.NoiseFloor == nil {
		return List{}
	}
	l := List{Title: fmt.Sprintf("A/A noise floor at %s (target vs control, nothing applied, same window), %s:", t.baselineName(), t.Statistic)}
	for i, o := range t.NoiseFloor {
		if o == nil {
			continue
		}
		d := o.By(t.Statistic)
		verdict := "CI includes 0, as it should"
		if d.Significant {
			verdict = "CI EXCLUDES 0: the arms differ with nothing applied, so paired figures are suspect"
		}
		l.Items = append(l.Items, fmt.Sprintf("%s: %s ms [%s, %s] (%s)", t.Sizes[i].Label, signedMs(d.Diff), signedMs(d.CILow), signedMs(d.CIHigh), verdict))
	}
	return l
}

func (t *Table) hasPaired() bool {
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			if c.Paired != nil {
				return true
			}
		}
	}
	return false
}

// grid builds one grid; value formats a reported cell. Overhead grids
// mark the baseline row.
func (t *Table) grid(title string, value func(Row, *Cell) string, overhead bool) Grid {
	var sizes []string
	for _, s := range t.Sizes {
		sizes = append(sizes, s.Label)
	}
	g := newGrid(title, t.RowTitle, sizes)
	for _, r := range t.Rows {
		var line []string
		for i := range r.Cells {
			c := &r.Cells[i]
			var v string
			switch {
			case c.Missing:
				v = "-"
			case !c.Reported():
				v = FlagBehind
				if !slices.Contains(c.Flags, FlagBehind) {
					v = FlagEmpty
				}
			case overhead && r.Baseline:
				v = "baseline"
			default:
				v = value(r, c)
				if len(c.Flags) > 0 && v != "-" {
					v += " !"
				}
			}
			line = append(line, v)
		}
		g.add(r.Label, line)
	}
	return g
}

func overheadCell(s Statistic, f func(Difference) string) func(Row, *Cell) string {
	return func(_ Row, c *Cell) string {
		if c.Overhead == nil {
			return "-"
		}
		return f(c.Overhead.By(s))
	}
}

func pairedCell(s Statistic, f func(Difference) string) func(Row, *Cell) string {
	return func(_ Row, c *Cell) string {
		if c.Paired == nil {
			return "-"
		}
		return f(c.Paired.By(s))
	}
}

func diffMs(d Difference) string {
	if !d.Valid() {
		return "-"
	}
	return signedMs(d.Diff) + " ±" + ms(d.HalfWidth()) + star(d)
}

func diffPercent(d Difference) string {
	if !d.Valid() {
		return "-"
	}
	return fmt.Sprintf("%+.1f%% [%+.1f, %+.1f]%s", d.Percent, d.PercentCILow, d.PercentCIHigh, star(d))
}

func star(d Difference) string {
	if d.Significant {
		return "*"
	}
	return ""
}

func pick(s Summary, stat Statistic) time.Duration {
	if stat == Mean {
		return s.Mean
	}
	return s.P50
}

// ms formats a duration in milliseconds with microsecond resolution, as
// Romana's table did.
func ms(d time.Duration) string { return fmt.Sprintf("%.3f", float64(d)/1e6) }

func signedMs(d time.Duration) string { return fmt.Sprintf("%+.3f", float64(d)/1e6) }

// verdicts say, per row, at which sizes the cost is significant by the
// verdict statistic. Where a control arm was measured the verdict rests on
// target over control at the same step (same window); otherwise on the
// baseline row, measured in another window, and the title says so. A row
// without a same-window figure beside rows with one never gets a verdict of
// its own.
func (t *Table) verdicts() List {
	if t.hasPaired() {
		l := List{Title: fmt.Sprintf("Verdict by %s, target over control at the same step (same window, free of drift):", t.Statistic)}
		for _, r := range t.Rows {
			if r.Baseline && t.NoiseFloor != nil {
				continue // the A/A noise floor below is this row's figure
			}
			if !rowHas(r, func(c *Cell) *Overhead { return c.Paired }) {
				l.Items = append(l.Items, r.Label+": no verdict: no control arm was measured in this row's window (its overhead above is across windows and includes drift)")
				continue
			}
			l.Items = append(l.Items, r.Label+": "+t.rowVerdict(r, func(c *Cell) *Overhead { return c.Paired }))
		}
		return l
	}
	if len(t.Rows) < 2 {
		return List{}
	}
	l := List{Title: fmt.Sprintf("Verdict by %s against %s, measured in another window (no control arm: the difference includes any drift between the windows):", t.Statistic, t.baselineName())}
	base := t.Rows[slices.IndexFunc(t.Rows, func(r Row) bool { return r.Baseline })]
	for _, r := range t.Rows {
		if r.Baseline {
			continue
		}
		where := ""
		if r.Source != base.Source {
			where = " (another run: across windows)"
		}
		l.Items = append(l.Items, r.Label+where+": "+t.rowVerdict(r, func(c *Cell) *Overhead { return c.Overhead }))
	}
	return l
}

func rowHas(r Row, of func(*Cell) *Overhead) bool {
	for i := range r.Cells {
		if of(&r.Cells[i]) != nil {
			return true
		}
	}
	return false
}

// rowVerdict names the sizes where of's difference is significant.
func (t *Table) rowVerdict(r Row, of func(*Cell) *Overhead) string {
	var sig, behind []string
	for i := range r.Cells {
		c := &r.Cells[i]
		switch {
		case c.Missing:
		case !c.Reported():
			behind = append(behind, c.Size)
		case of(c) != nil && of(c).By(t.Statistic).Significant:
			d := of(c).By(t.Statistic)
			sig = append(sig, fmt.Sprintf("%s %s ms (%+.1f%% [%+.1f, %+.1f])", c.Size, signedMs(d.Diff), d.Percent, d.PercentCILow, d.PercentCIHigh))
		}
	}
	v := "no significant difference at any size"
	if len(sig) > 0 {
		v = "significant at " + strings.Join(sig, ", ")
	}
	if len(behind) > 0 {
		v += "; not reported at " + strings.Join(behind, ", ") + " (see notes)"
	}
	return v
}

// enforcement says how each step's policies were confirmed.
func (t *Table) enforcement() List {
	l := List{Title: "Enforcement, confirmed before measuring each step (a probe no policy allows is denied, the client is allowed):"}
	for _, r := range t.Rows {
		e := r.Enforcement
		if e == nil {
			continue
		}
		state := fmt.Sprintf("enforced %s after the apply", seconds(e.After))
		if !e.Enforced {
			state = fmt.Sprintf("NOT confirmed (probe denied: %v, client allowed: %v)", e.ProbeDenied, e.ClientAllowed)
		}
		l.Items = append(l.Items, fmt.Sprintf("%s: %d objects applied in %s, %s", r.Label, e.Applied, seconds(e.ApplyTook), state))
	}
	return l
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }
