package analysis

import (
	"fmt"
	"time"
)

// block is one titled grid of the Romana layout, shared by the terminal and
// markdown renderers.
type block struct {
	title  string
	header []string
	rows   [][]string
}

// other is the statistic shown beside the verdict's.
func (t *Table) other() Statistic {
	if t.Statistic == Mean {
		return Median
	}
	return Mean
}

// heading is the lines above the blocks: what the table shows and how.
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

// legend explains the marks used in the blocks.
func (t *Table) legend() []string {
	ci := fmt.Sprintf("%.0f%%", 100*t.Confidence)
	return []string{
		"* the " + ci + " CI excludes 0: the difference is significant. ± is half the CI's width; [lo, hi] its bounds.",
		"! the cell is flagged (see notes); behind: the client fell behind the asked rate, so the cell is not reported.",
	}
}

func (t *Table) blocks() []block {
	stat, oth := t.Statistic, t.other()
	blocks := []block{
		t.grid(fmt.Sprintf("Request duration, ms: %s (%s)", stat, oth), func(_ Row, c *Cell) string {
			return ms(pick(c.Summary, stat)) + " (" + ms(pick(c.Summary, oth)) + ")"
		}, false),
	}
	vs := "Overhead vs " + t.baselineName()
	for _, s := range []Statistic{stat, oth} {
		blocks = append(blocks,
			t.grid(fmt.Sprintf("%s, ms: %s ± CI", vs, s), overheadCell(s, diffMs), true),
			t.grid(fmt.Sprintf("%s, %%: %s [CI]", vs, s), overheadCell(s, diffPercent), true))
	}
	if t.hasPaired() {
		title := "Target over control at the same step (same window, free of drift)"
		blocks = append(blocks,
			t.grid(fmt.Sprintf("%s, ms: %s ± CI", title, stat), pairedCell(stat, diffMs), false),
			t.grid(fmt.Sprintf("%s, %%: %s [CI]", title, stat), pairedCell(stat, diffPercent), false))
	}
	return blocks
}

// noiseFloorLines describe the A/A difference at the baseline step.
func (t *Table) noiseFloorLines() []string {
	if t.NoiseFloor == nil {
		return nil
	}
	lines := []string{fmt.Sprintf("A/A noise floor at %s (target vs control, nothing applied, same window), %s:", t.baselineName(), t.Statistic)}
	for i, o := range t.NoiseFloor {
		if o == nil {
			continue
		}
		d := o.By(t.Statistic)
		verdict := "CI includes 0, as it should"
		if d.Significant {
			verdict = "CI EXCLUDES 0: the arms differ with nothing applied, so paired figures are suspect"
		}
		lines = append(lines, fmt.Sprintf("  %s: %s ms [%s, %s] (%s)", t.Sizes[i].Label, signedMs(d.Diff), signedMs(d.CILow), signedMs(d.CIHigh), verdict))
	}
	return lines
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

// grid builds one block; value formats a reported cell. Overhead blocks
// mark the baseline row.
func (t *Table) grid(title string, value func(Row, *Cell) string, overhead bool) block {
	b := block{title: title, header: []string{t.RowTitle}}
	for _, s := range t.Sizes {
		b.header = append(b.header, s.Label)
	}
	for _, r := range t.Rows {
		line := []string{r.Label}
		for i := range r.Cells {
			c := &r.Cells[i]
			var v string
			switch {
			case c.Missing:
				v = "-"
			case !c.Reported():
				v = "behind"
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
		b.rows = append(b.rows, line)
	}
	return b
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
