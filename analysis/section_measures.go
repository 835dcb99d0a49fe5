package analysis

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// measuredRow is a row of a measure table: its identity and its cells.
type measuredRow[C any] interface {
	id() RowID
	cells() []C
}

func (r ThroughputRow) id() RowID               { return r.RowID }
func (r ThroughputRow) cells() []ThroughputCell { return r.Cells }
func (r RTTRow) id() RowID                      { return r.RowID }
func (r RTTRow) cells() []RTTCell               { return r.Cells }

// anyCell is true when some cell of rows satisfies has.
func anyCell[R measuredRow[C], C any](rows []R, has func(C) bool) bool {
	for _, r := range rows {
		for _, c := range r.cells() {
			if has(c) {
				return true
			}
		}
	}
	return false
}

// rowsGrid is a grid of rows by columns, each cell formatted by value.
func rowsGrid[R measuredRow[C], C any](title, rowTitle string, columns []string, rows []R, value func(RowID, C) string) Grid {
	g := newGrid(title, rowTitle, columns)
	for _, r := range rows {
		var line []string
		for _, c := range r.cells() {
			line = append(line, value(r.id(), c))
		}
		g.add(r.id().Label, line)
	}
	return g
}

// rowIdentityHeader are the leading CSV fields of every record.
var rowIdentityHeader = []string{"row", "source", "mesh", "step", "policies", "policy_kind", "arm", "baseline"}

func (r RowID) identity() []string {
	return []string{r.Label, r.Source, r.Mesh, r.Step, fmt.Sprint(r.Policies), r.PolicyKind, r.Arm, fmt.Sprint(r.Baseline)}
}

func measureWhat(what, rowTitle, arm string) string {
	s := what + " by " + rowTitle
	if arm != "" {
		s += ", " + arm + " arm"
	}
	return s
}

func baselineName(rowTitle, label string) string {
	if rowTitle == "policies" {
		return label + " policies"
	}
	return label
}

// ---- throughput

func (t *ThroughputTable) section() Section {
	vs := baselineName(t.RowTitle, t.Baseline)
	s := Section{
		Name: "throughput",
		Heading: []string{
			measureWhat("TCP throughput", t.RowTitle, t.Arm) + " and parallel streams; change against " + vs + ".",
			fmt.Sprintf("Gbit/s is the mean of the 1-second interval rates of every repeat, ± half its %.0f%% CI (Student's t; successive intervals are not independent, so read it as a lower bound of the uncertainty).", 100*t.Confidence),
		},
		Notes: t.Notes,
	}
	for _, l := range t.Settings {
		s.Heading = append(s.Heading, "Streams: "+l+".")
	}
	var columns []string
	for _, c := range t.Columns {
		columns = append(columns, c.Label)
	}
	grid := func(title string, value func(r RowID, c ThroughputCell) string) Grid {
		return rowsGrid(title, t.RowTitle, columns, t.Rows, func(r RowID, c ThroughputCell) string {
			if c.Missing {
				return "-"
			}
			return value(r, c)
		})
	}
	s.Grids = append(s.Grids, grid("Throughput, Gbit/s: mean ± CI (intervals)", func(_ RowID, c ThroughputCell) string {
		v := fmt.Sprintf("%.2f", c.Gbps)
		if c.Intervals > 1 {
			v += fmt.Sprintf(" ±%.2f", (c.GbpsCIHigh-c.GbpsCILow)/2)
		}
		return v + fmt.Sprintf(" (%d)", c.Intervals)
	}))
	if len(t.Rows) > 1 {
		s.Grids = append(s.Grids, grid("Throughput vs "+vs+", %: change [CI]", func(r RowID, c ThroughputCell) string {
			if r.Baseline {
				return "baseline"
			}
			return rateDiff(c.Overhead)
		}))
	}
	if t.anyPaired() {
		s.Grids = append(s.Grids, grid("Target over control at the same step, %: change [CI]", func(_ RowID, c ThroughputCell) string {
			return rateDiff(c.Paired)
		}))
	}
	s.Grids = append(s.Grids, grid("Retransmitted segments (the sender's TCP_INFO), all repeats", func(_ RowID, c ThroughputCell) string {
		return fmt.Sprint(c.Retransmits)
	}))
	if len(t.Rows) > 1 || t.anyPaired() {
		s.Legend = []string{fmt.Sprintf("* the %.0f%% CI excludes 0: the difference is significant.", 100*t.Confidence)}
	}

	s.Records = [][]string{append(slices.Clone(rowIdentityHeader), "direction", "parallel", "repeats", "intervals",
		"gbps_mean", "gbps_ci_low", "gbps_ci_high", "gbps_total", "bytes", "server_bytes", "retransmits", "connections",
		"overhead_diff_gbps", "overhead_ci_low_gbps", "overhead_ci_high_gbps", "overhead_pct", "overhead_pct_ci_low", "overhead_pct_ci_high", "overhead_significant",
		"paired_diff_gbps", "paired_ci_low_gbps", "paired_ci_high_gbps", "paired_pct", "paired_pct_ci_low", "paired_pct_ci_high", "paired_significant")}
	for _, r := range t.Rows {
		for i, c := range r.Cells {
			if c.Missing {
				continue
			}
			col := t.Columns[i]
			rec := append(r.identity(), col.Direction, fmt.Sprint(col.Parallel), fmt.Sprint(c.Repeats), fmt.Sprint(c.Intervals),
				fnum(c.Gbps), fnum(c.GbpsCILow), fnum(c.GbpsCIHigh), fnum(c.TotalGbps), fmt.Sprint(c.Bytes), fmt.Sprint(c.ServerBytes),
				fmt.Sprint(c.Retransmits), fmt.Sprint(c.Connections))
			rec = append(rec, rateDiffFields(c.Overhead)...)
			rec = append(rec, rateDiffFields(c.Paired)...)
			s.Records = append(s.Records, rec)
		}
	}
	return s
}

func rateDiff(d *RateDifference) string {
	if d == nil {
		return "-"
	}
	if !d.HasCI {
		return fmt.Sprintf("%+.1f%%", d.Percent)
	}
	mark := ""
	if d.Significant {
		mark = "*"
	}
	return fmt.Sprintf("%+.1f%% [%+.1f, %+.1f]%s", d.Percent, d.PercentCILow, d.PercentCIHigh, mark)
}

func rateDiffFields(d *RateDifference) []string {
	if d == nil {
		return make([]string, 7)
	}
	if !d.HasCI {
		return []string{fnum(d.Diff), "", "", fnum(d.Percent), "", "", "false"}
	}
	return []string{fnum(d.Diff), fnum(d.CILow), fnum(d.CIHigh), fnum(d.Percent), fnum(d.PercentCILow), fnum(d.PercentCIHigh), fmt.Sprint(d.Significant)}
}

// ---- round trips

func (t *RTTTable) section() Section {
	vs := baselineName(t.RowTitle, t.Baseline)
	s := Section{
		Name: "rtt",
		Heading: []string{
			measureWhat("TCP round trips", t.RowTitle, t.Arm) + "; rr: on one established connection (netperf TCP_RR), crr: connect, request, response, close (TCP_CRR); change against " + vs + ".",
			fmt.Sprintf("Changes are of the median (%.0f%% percentile-bootstrap CI, %d resamples).", 100*t.Confidence, t.Resamples),
		},
		Notes: t.Notes,
	}
	var columns []string
	for _, c := range t.Columns {
		columns = append(columns, c.Label)
	}
	grid := func(title string, value func(r RowID, c RTTCell) string) Grid {
		return rowsGrid(title, t.RowTitle, columns, t.Rows, func(r RowID, c RTTCell) string {
			switch {
			case c.Missing:
				return "-"
			case c.Summary.N == 0:
				return FlagEmpty
			}
			return value(r, c)
		})
	}
	s.Grids = append(s.Grids, grid("Round trip, µs: p50 / p90 / p99", func(_ RowID, c RTTCell) string {
		return us(c.Summary.P50) + " / " + us(c.Summary.P90) + " / " + us(c.Summary.P99)
	}))
	if len(t.Rows) > 1 {
		s.Grids = append(s.Grids,
			grid("Round trip vs "+vs+", µs: p50 ± CI", func(r RowID, c RTTCell) string {
				if r.Baseline {
					return "baseline"
				}
				return diffUs(c.Overhead)
			}),
			grid("Round trip vs "+vs+", %: p50 [CI]", func(r RowID, c RTTCell) string {
				if r.Baseline {
					return "baseline"
				}
				if c.Overhead == nil {
					return "-"
				}
				return diffPercent(*c.Overhead)
			}))
	}
	if t.anyPaired() {
		s.Grids = append(s.Grids, grid("Target over control at the same step, µs: p50 ± CI", func(_ RowID, c RTTCell) string {
			return diffUs(c.Paired)
		}))
	}
	if len(t.Rows) > 1 || t.anyPaired() {
		s.Legend = []string{fmt.Sprintf("* the %.0f%% CI excludes 0: the difference is significant. ± is half the CI's width.", 100*t.Confidence)}
	}

	s.Records = [][]string{append(slices.Clone(rowIdentityHeader), "mode", "message_bytes", "n", "requests", "errors", "connections",
		"mean_us", "min_us", "p50_us", "p90_us", "p99_us", "p999_us", "max_us",
		"overhead_median_diff_ms", "overhead_median_ci_low_ms", "overhead_median_ci_high_ms", "overhead_median_pct", "overhead_median_pct_ci_low", "overhead_median_pct_ci_high", "overhead_median_significant",
		"paired_median_diff_ms", "paired_median_ci_low_ms", "paired_median_ci_high_ms", "paired_median_pct", "paired_median_pct_ci_low", "paired_median_pct_ci_high", "paired_median_significant")}
	for _, r := range t.Rows {
		for i, c := range r.Cells {
			if c.Missing {
				continue
			}
			col := t.Columns[i]
			errs := 0
			for _, n := range c.Errors {
				errs += n
			}
			sm := c.Summary
			rec := append(r.identity(), col.Mode, fmt.Sprint(col.Size), fmt.Sprint(sm.N), fmt.Sprint(c.Requests), fmt.Sprint(errs), fmt.Sprint(c.Connections),
				usExact(sm.Mean), usExact(sm.Min), usExact(sm.P50), usExact(sm.P90), usExact(sm.P99), usExact(sm.P999), usExact(sm.Max))
			for _, d := range []*Difference{c.Overhead, c.Paired} {
				if d == nil {
					rec = append(rec, make([]string, 7)...)
					continue
				}
				rec = append(rec, diffFields(&Overhead{Median: *d}, Median)...)
			}
			s.Records = append(s.Records, rec)
		}
	}
	return s
}

func diffUs(d *Difference) string {
	if d == nil || !d.Valid() {
		return "-"
	}
	return fmt.Sprintf("%+.1f ±%.1f%s", float64(d.Diff)/1e3, float64(d.HalfWidth())/1e3, star(*d))
}

// ---- CPU

func (t *CPUTable) section() Section {
	comps := map[string]bool{}
	cgroup, perGbps := false, false
	for _, r := range t.Rows {
		for name := range r.Components {
			comps[name] = true
		}
		cgroup = cgroup || r.HasCgroup
		perGbps = perGbps || r.CoresPerGbps > 0
	}
	names := slices.Sorted(maps.Keys(comps))
	cpus := 0
	for _, r := range t.Rows {
		cpus = max(cpus, r.CPUs)
	}
	s := Section{
		Name: "cpu",
		Heading: []string{
			measureWhat("CPU during each measurement", t.RowTitle, t.Arm) + ", in cores (1.00 = one core busy for the whole window).",
			fmt.Sprintf("user, system, softirq, steal and busy (user+nice+system+irq+softirq) are node-wide from /proc/stat (of %d CPUs); pod is the measuring pod's own cgroup (cpu.stat): the benchmark itself.", cpus),
		},
		Notes: t.Notes,
	}
	columns := []string{"measurement", "side", "user", "system", "softirq", "steal", "busy"}
	if cgroup {
		columns = append(columns, "pod")
	}
	if perGbps {
		columns = append(columns, "cores per Gbit/s")
	}
	b := newGrid("CPU, cores", t.RowTitle, append(columns, names...))
	for _, r := range t.Rows {
		line := []string{r.Measurement, r.Side, cores(r.User), cores(r.System), cores(r.Softirq), cores(r.Steal), cores(r.Busy)}
		if cgroup {
			v := "-"
			if r.HasCgroup {
				v = cores(r.Cgroup)
			}
			line = append(line, v)
		}
		if perGbps {
			v := "-"
			if r.CoresPerGbps > 0 {
				v = fmt.Sprintf("%.3f", r.CoresPerGbps)
			}
			line = append(line, v)
		}
		for _, n := range names {
			v := "-"
			if c, ok := r.Components[n]; ok {
				v = cores(c)
			}
			line = append(line, v)
		}
		b.add(r.Label, line)
	}
	s.Grids = []Grid{b}

	header := append(slices.Clone(rowIdentityHeader), "measurement", "side", "repeats", "cpus", "seconds",
		"user", "nice", "system", "irq", "softirq", "steal", "iowait", "idle", "busy", "cgroup", "cgroup_path", "gbps", "cores_per_gbps")
	for _, n := range names {
		header = append(header, "component_"+n)
	}
	s.Records = [][]string{header}
	for _, r := range t.Rows {
		cg := ""
		if r.HasCgroup {
			cg = fnum(r.Cgroup)
		}
		gb, per := "", ""
		if r.CoresPerGbps > 0 {
			gb, per = fnum(r.Gbps), fnum(r.CoresPerGbps)
		}
		rec := append(r.identity(), r.Measurement, r.Side, fmt.Sprint(r.Repeats), fmt.Sprint(r.CPUs), fnum(r.Seconds),
			fnum(r.User), fnum(r.Nice), fnum(r.System), fnum(r.IRQ), fnum(r.Softirq), fnum(r.Steal), fnum(r.IOWait), fnum(r.Idle), fnum(r.Busy),
			cg, r.CgroupPath, gb, per)
		for _, n := range names {
			v := ""
			if c, ok := r.Components[n]; ok {
				v = fnum(c)
			}
			rec = append(rec, v)
		}
		s.Records = append(s.Records, rec)
	}
	return s
}

func cores(v float64) string { return fmt.Sprintf("%.2f", v) }

// us formats a duration in microseconds to a tenth, for round trips.
func us(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', 1, 64) }

// usExact is a duration in microseconds to the nanosecond.
func usExact(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e3, 'f', -1, 64) }
