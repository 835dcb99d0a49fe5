package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/meshbench/meshbench/results"
)

// ThroughputTable is the TCP stream measurements of a report: rows are the
// steps or configurations, columns the stream settings (parallel
// connections and direction).
type ThroughputTable struct {
	RowTitle   string         `json:"rowTitle"`
	Arm        string         `json:"arm,omitempty"`
	Baseline   string         `json:"baseline"`
	Confidence float64        `json:"confidence"`
	Columns    []StreamColumn `json:"columns"`
	// Settings describe how the streams ran (measured time, omitted start,
	// write size), one line per distinct setting.
	Settings  []string        `json:"settings,omitempty"`
	Rows      []ThroughputRow `json:"rows"`
	Notes     []string        `json:"notes,omitempty"`
	baseMatch bool            // the asked baseline named one of the rows
	cells     map[streamKey]*rateSet
}

// StreamColumn is one stream setting.
type StreamColumn struct {
	Label     string `json:"label"`
	Parallel  int    `json:"parallel"`
	Direction string `json:"direction"`
}

// ThroughputRow is one step or configuration; Cells align with Columns.
type ThroughputRow struct {
	RowID
	Cells []ThroughputCell `json:"cells"`
}

// ThroughputCell is every repeat of one stream setting at one row.
type ThroughputCell struct {
	Missing bool `json:"missing,omitempty"`
	// Repeats is the number of measurements merged, Intervals their
	// measured intervals together.
	Repeats   int `json:"repeats"`
	Intervals int `json:"intervals"`
	// Gbps is the mean of the interval rates, with its confidence interval
	// over intervals and repeats (Student's t on the interval rates).
	Gbps       float64 `json:"gbps"`
	GbpsCILow  float64 `json:"gbpsCILow"`
	GbpsCIHigh float64 `json:"gbpsCIHigh"`
	// TotalGbps is every byte over every measured second.
	TotalGbps   float64 `json:"totalGbps"`
	Bytes       int64   `json:"bytes"`
	ServerBytes int64   `json:"serverBytes"`
	Retransmits int64   `json:"retransmits"`
	// Connections is what the server counted, summed over repeats.
	Connections int64 `json:"connections"`
	// Overhead is this cell against the baseline row's; Paired the target
	// against the control arm at the same step.
	Overhead *RateDifference `json:"overhead,omitempty"`
	Paired   *RateDifference `json:"paired,omitempty"`
}

// RateDifference is other minus base in Gbit/s with a Welch t interval;
// the percentages are relative to the base mean.
type RateDifference struct {
	Base          float64 `json:"base"`
	Other         float64 `json:"other"`
	Diff          float64 `json:"diff"`
	CILow         float64 `json:"ciLow"`
	CIHigh        float64 `json:"ciHigh"`
	Percent       float64 `json:"percent"`
	PercentCILow  float64 `json:"percentCILow"`
	PercentCIHigh float64 `json:"percentCIHigh"`
	Significant   bool    `json:"significant"`
	// BaseN and OtherN are the interval rates on each side; HasCI is false
	// when a side has fewer than two.
	BaseN  int  `json:"baseN"`
	OtherN int  `json:"otherN"`
	HasCI  bool `json:"hasCI"`
}

type streamKey struct {
	row       rowKey
	parallel  int
	direction string
}

// rateSet is the interval rates (Gbit/s) and totals of one stream key.
type rateSet struct {
	rates                  []float64
	repeats                int
	bytes, server, retrans int64
	conns                  int64
	seconds                float64
}

func direction(t *results.Throughput) string { return cmp.Or(t.Direction, "send") }

// buildThroughput returns nil when no document holds a throughput cell.
func buildThroughput(sources []Source, o TableOptions, confidence float64) *ThroughputTable {
	rows, cells, title := measureRows(sources, o.Arm, func(c *results.Cell) bool { return c.Throughput != nil })
	if rows == nil {
		return nil
	}
	t := &ThroughputTable{RowTitle: title, Arm: rows[0].Arm, Confidence: confidence, cells: map[streamKey]*rateSet{}}
	cols := map[StreamColumn]bool{}
	for _, kc := range cells {
		th := kc.cell.Throughput
		k := streamKey{kc.key, th.Parallel, direction(th)}
		cols[StreamColumn{Parallel: th.Parallel, Direction: k.direction}] = true
		s := t.cells[k]
		if s == nil {
			s = &rateSet{}
			t.cells[k] = s
		}
		s.repeats++
		setting := fmt.Sprintf("%v measured per repeat after %v omitted, %s writes", roughly(th.Duration), th.Omit, cmp.Or(kc.cell.SizeLabel, fmt.Sprint(th.WriteSize)))
		if !slices.Contains(t.Settings, setting) {
			t.Settings = append(t.Settings, setting)
		}
		for _, bps := range th.IntervalsBps {
			s.rates = append(s.rates, bps/1e9)
		}
		if len(th.IntervalsBps) == 0 && th.Duration > 0 {
			s.rates = append(s.rates, th.Gbps())
		}
		s.bytes += th.Bytes
		s.server += th.ServerBytes
		s.retrans += th.Retransmits
		s.conns += th.Connections
		s.seconds += th.Duration.Seconds()
	}
	// Sending first, then by connections.
	t.Columns = slices.SortedFunc(maps.Keys(cols), func(a, b StreamColumn) int {
		return cmp.Or(cmp.Compare(sendLast(a), sendLast(b)), cmp.Compare(a.Direction, b.Direction), cmp.Compare(a.Parallel, b.Parallel))
	})
	reverse := false
	for _, c := range t.Columns {
		reverse = reverse || c.Direction != "send"
	}
	for i, c := range t.Columns {
		t.Columns[i].Label = streamLabel(c, reverse)
	}
	base, matched := pickMeasureBaseline(rows, o.Baseline)
	t.baseMatch = matched
	t.Baseline = rows[base].Label
	for _, r := range rows {
		row := ThroughputRow{RowID: r}
		for _, col := range t.Columns {
			row.Cells = append(row.Cells, t.cell(r, rows[base], col))
		}
		t.Rows = append(t.Rows, row)
	}
	if t.anyPaired() {
		t.Notes = append(t.Notes, "throughput: target and control streams ran one after the other, not interleaved; their paired figures include drift within the step")
	}
	return t
}

func sendLast(c StreamColumn) int {
	if c.Direction == "send" {
		return 0
	}
	return 1
}

func streamLabel(c StreamColumn, reverse bool) string {
	l := fmt.Sprintf("%d streams", c.Parallel)
	if c.Parallel == 1 {
		l = "1 stream"
	}
	if reverse {
		l += " " + c.Direction
	}
	return l
}

func (t *ThroughputTable) cell(r, base RowID, col StreamColumn) ThroughputCell {
	s := t.cells[streamKey{r.key, col.Parallel, col.Direction}]
	if s == nil || len(s.rates) == 0 {
		return ThroughputCell{Missing: true}
	}
	c := ThroughputCell{Repeats: s.repeats, Intervals: len(s.rates), Bytes: s.bytes, ServerBytes: s.server,
		Retransmits: s.retrans, Connections: s.conns}
	c.Gbps, c.GbpsCILow, c.GbpsCIHigh = meanCI(s.rates, t.Confidence)
	if s.seconds > 0 {
		c.TotalGbps = float64(s.bytes) * 8 / s.seconds / 1e9
	}
	if !r.Baseline {
		if b := t.cells[streamKey{base.key, col.Parallel, col.Direction}]; b != nil && len(b.rates) > 0 {
			c.Overhead = welch(b.rates, s.rates, t.Confidence)
		}
	}
	if r.Arm == results.ArmTarget {
		if ctl := t.cells[streamKey{controlKey(r.key), col.Parallel, col.Direction}]; ctl != nil && len(ctl.rates) > 0 {
			c.Paired = welch(ctl.rates, s.rates, t.Confidence)
		}
	}
	return c
}

func (t *ThroughputTable) anyPaired() bool {
	return anyCell(t.Rows, func(c ThroughputCell) bool { return c.Paired != nil })
}

// meanCI is the mean of xs with Student's t interval at confidence; a single
// value has no interval (both bounds are the mean).
func meanCI(xs []float64, confidence float64) (mean, lo, hi float64) {
	m, v := meanVar(xs)
	if len(xs) < 2 {
		return m, m, m
	}
	q := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: float64(len(xs) - 1)}.Quantile(1 - (1-confidence)/2)
	h := q * math.Sqrt(v/float64(len(xs)))
	return m, m - h, m + h
}

func meanVar(xs []float64) (mean, variance float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	for _, x := range xs {
		variance += (x - mean) * (x - mean)
	}
	return mean, variance / float64(len(xs)-1)
}

// welch is mean(other) - mean(base) with Welch's t interval. With fewer than
// two values on a side there is no interval (HasCI false, bounds at the
// difference) and nothing is significant.
func welch(base, other []float64, confidence float64) *RateDifference {
	mb, vb := meanVar(base)
	mo, vo := meanVar(other)
	d := &RateDifference{Base: mb, Other: mo, Diff: mo - mb, BaseN: len(base), OtherN: len(other)}
	if mb != 0 {
		d.Percent = 100 * d.Diff / mb
	}
	d.CILow, d.CIHigh, d.PercentCILow, d.PercentCIHigh = d.Diff, d.Diff, d.Percent, d.Percent
	nb, no := float64(len(base)), float64(len(other))
	if nb < 2 || no < 2 {
		return d
	}
	d.HasCI = true
	se2 := vb/nb + vo/no
	h := 0.0
	if se2 > 0 {
		df := se2 * se2 / ((vb/nb)*(vb/nb)/(nb-1) + (vo/no)*(vo/no)/(no-1))
		h = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: df}.Quantile(1-(1-confidence)/2) * math.Sqrt(se2)
	}
	d.CILow, d.CIHigh = d.Diff-h, d.Diff+h
	if mb != 0 {
		d.PercentCILow, d.PercentCIHigh = 100*d.CILow/mb, 100*d.CIHigh/mb
	}
	d.Significant = d.CILow > 0 || d.CIHigh < 0
	return d
}

// roughly rounds a measured window for display: the windows of one setting
// differ by milliseconds.
func roughly(d time.Duration) time.Duration {
	if d >= 2*time.Second {
		return d.Round(time.Second)
	}
	return d.Round(100 * time.Millisecond)
}
