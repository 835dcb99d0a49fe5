package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/results"
)

// RTTTable is the TCP round trips of a report: rows are steps or
// configurations, columns the modes (rr: round trips on one established
// connection; crr: a new connection per round trip) and message sizes.
type RTTTable struct {
	RowTitle   string      `json:"rowTitle"`
	Arm        string      `json:"arm,omitempty"`
	Baseline   string      `json:"baseline"`
	Confidence float64     `json:"confidence"`
	Resamples  int         `json:"resamples"`
	Columns    []RTTColumn `json:"columns"`
	Rows       []RTTRow    `json:"rows"`
	Notes      []string    `json:"notes,omitempty"`
	baseMatch  bool
}

// RTTColumn is one mode and message size.
type RTTColumn struct {
	Label string `json:"label"`
	Mode  string `json:"mode"`
	Size  int64  `json:"size"`
}

// RTTRow is one step or configuration; Cells align with Columns.
type RTTRow struct {
	RowID
	Cells []RTTCell `json:"cells"`
}

// RTTCell is the round trips of one mode and size at one row, every repeat
// merged.
type RTTCell struct {
	Missing     bool           `json:"missing,omitempty"`
	Summary     Summary        `json:"summary"`
	Requests    int            `json:"requests"`
	Errors      map[string]int `json:"errors,omitempty"`
	Connections int64          `json:"connections"`
	// Overhead is the median against the baseline row's; Paired the
	// target's median against the control arm's at the same step.
	Overhead *Difference `json:"overhead,omitempty"`
	Paired   *Difference `json:"paired,omitempty"`
}

type rttKey struct {
	row  rowKey
	mode string
	size int64
}

type rttSet struct {
	samples  []int64
	requests int
	errors   map[string]int
	conns    int64
	// sequential is true when some of the samples were measured apart
	// from the other arm's (not alternated round trip by round trip).
	sequential bool
}

// buildRTT returns nil when no document holds an RTT cell.
func buildRTT(sources []Source, o TableOptions, opts []Option) *RTTTable {
	rows, cells, title := measureRows(sources, o.Arm, func(c *results.Cell) bool { return c.RTT != nil })
	if rows == nil {
		return nil
	}
	co := newOptions(opts)
	t := &RTTTable{RowTitle: title, Arm: rows[0].Arm, Confidence: co.confidence, Resamples: co.resamples}
	sets := map[rttKey]*rttSet{}
	cols := map[RTTColumn]bool{}
	for _, kc := range cells {
		r := kc.cell.RTT
		size := int64(r.MessageSize)
		if size == 0 {
			size = kc.cell.Size
		}
		k := rttKey{kc.key, r.Mode, size}
		cols[RTTColumn{Mode: r.Mode, Size: size}] = true
		s := sets[k]
		if s == nil {
			s = &rttSet{errors: map[string]int{}}
			sets[k] = s
		}
		s.samples = append(s.samples, r.SamplesNs...)
		s.sequential = s.sequential || !r.Alternated
		s.requests += r.Requests
		s.conns += r.Connections
		for kind, n := range r.Errors {
			s.errors[kind] += n
		}
	}
	t.Columns = slices.SortedFunc(maps.Keys(cols), func(a, b RTTColumn) int {
		return cmp.Or(cmp.Compare(modeOrder(a.Mode), modeOrder(b.Mode)), cmp.Compare(a.Mode, b.Mode), cmp.Compare(a.Size, b.Size))
	})
	sizes := map[int64]bool{}
	for _, c := range t.Columns {
		sizes[c.Size] = true
	}
	for i, c := range t.Columns {
		t.Columns[i].Label = c.Mode
		if len(sizes) > 1 {
			t.Columns[i].Label += " " + fmt.Sprintf("%dB", c.Size)
		}
	}
	base, matched := pickMeasureBaseline(rows, o.Baseline)
	t.baseMatch = matched
	t.Baseline = rows[base].Label
	// sequentialModes are the modes whose paired figures compare round
	// trips measured one arm after the other.
	sequentialModes := map[string]bool{}
	for _, r := range rows {
		row := RTTRow{RowID: r}
		for _, col := range t.Columns {
			s := sets[rttKey{r.key, col.Mode, col.Size}]
			if s == nil {
				row.Cells = append(row.Cells, RTTCell{Missing: true})
				continue
			}
			c := RTTCell{Summary: Summarize(s.samples), Requests: s.requests, Connections: s.conns}
			if len(s.errors) > 0 {
				c.Errors = s.errors
			}
			if b := sets[rttKey{rows[base].key, col.Mode, col.Size}]; !r.Baseline && b != nil && len(b.samples) > 0 && len(s.samples) > 0 {
				d := CompareMedian(b.samples, s.samples, opts...)
				c.Overhead = &d
			}
			if ctl := sets[rttKey{controlKey(r.key), col.Mode, col.Size}]; r.Arm == results.ArmTarget && ctl != nil && len(ctl.samples) > 0 && len(s.samples) > 0 {
				d := CompareMedian(ctl.samples, s.samples, opts...)
				c.Paired = &d
				if s.sequential || ctl.sequential {
					sequentialModes[col.Mode] = true
				}
			}
			row.Cells = append(row.Cells, c)
		}
		t.Rows = append(t.Rows, row)
	}
	for _, r := range t.Rows {
		for i, c := range r.Cells {
			if len(c.Errors) > 0 {
				t.Notes = append(t.Notes, fmt.Sprintf("rtt %s %s: %s of %d round trips failed; figures describe the rest", r.Label, t.Columns[i].Label, errorList(c.Errors), c.Requests))
			}
		}
	}
	if len(sequentialModes) > 0 {
		modes := slices.SortedFunc(maps.Keys(sequentialModes), func(a, b string) int { return cmp.Compare(modeOrder(a), modeOrder(b)) })
		t.Notes = append(t.Notes, fmt.Sprintf("rtt %s: target and control round trips ran one after the other, not interleaved; their paired figures include drift within the step", strings.Join(modes, ", ")))
	}
	return t
}

// modeOrder puts rr (the path alone) before crr (the path and a new
// connection).
func modeOrder(m string) int {
	switch m {
	case "rr":
		return 0
	case "crr":
		return 1
	}
	return 2
}

func (t *RTTTable) anyPaired() bool {
	return anyCell(t.Rows, func(c RTTCell) bool { return c.Paired != nil })
}
