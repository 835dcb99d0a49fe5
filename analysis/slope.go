package analysis

import (
	"math"
	"slices"
	"time"
)

// Slope is a configuration's latency cost per policy: the least-squares
// slope of the target-over-control difference (the statistic's, paired in
// each step's window) against the number of policies, across its steps,
// with a bootstrap interval: every step's target and control are resampled
// together and the line refitted.
type Slope struct {
	// Config names the rows fitted: their source and configuration.
	Config string `json:"config"`
	Size   string `json:"size"`
	// Policies are the steps' policy counts, in the order fitted.
	Policies  []int     `json:"policies"`
	Statistic Statistic `json:"statistic"`
	// PerPolicy is the slope; CILow and CIHigh its interval.
	PerPolicy   time.Duration `json:"perPolicyNs"`
	CILow       time.Duration `json:"ciLowNs"`
	CIHigh      time.Duration `json:"ciHighNs"`
	Significant bool          `json:"significant"`
	Confidence  float64       `json:"confidence"`
}

// fitPoint is one step of a fit: its policy count and the bootstrap
// distributions of its target and its control.
type fitPoint struct {
	x               float64
	target, control distribution
}

// fitSlope fits the points' target-over-control against x.
func fitSlope(points []fitPoint, o options) (slope, lo, hi float64, ok bool) {
	if len(points) < 2 {
		return 0, 0, 0, false
	}
	xs := make([]float64, len(points))
	ys := make([]float64, len(points))
	for i, p := range points {
		xs[i] = p.x
		ys[i] = p.target.point - p.control.point
	}
	slope, ok = leastSquares(xs, ys)
	if !ok {
		return 0, 0, 0, false
	}
	reps := make([]float64, 0, o.resamples)
	for b := range o.resamples {
		for i, p := range points {
			if len(p.target.replicates) != o.resamples || len(p.control.replicates) != o.resamples {
				return slope, 0, 0, false // the bootstrap was stopped
			}
			ys[i] = p.target.replicates[b] - p.control.replicates[b]
		}
		s, _ := leastSquares(xs, ys)
		reps = append(reps, s)
	}
	slices.Sort(reps)
	l, h := intervalRanks(o.resamples, o.confidence)
	return slope, reps[l], reps[h], true
}

// leastSquares is the slope of the ordinary least-squares line through
// (xs, ys); false when the xs do not vary.
func leastSquares(xs, ys []float64) (float64, bool) {
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	n := float64(len(xs))
	mx, my = mx/n, my/n
	var sxy, sxx float64
	for i := range xs {
		sxy += (xs[i] - mx) * (ys[i] - my)
		sxx += (xs[i] - mx) * (xs[i] - mx)
	}
	if sxx == 0 || math.IsNaN(sxy) {
		return 0, false
	}
	return sxy / sxx, true
}

// ReferenceSlope is a reference table's mean duration per policy at its
// first size, fitted like a run's (it has no control arm: the slope is of
// the durations themselves).
func (r *Reference) ReferenceSlope() (perPolicy time.Duration, size string) {
	var xs, ys []float64
	for _, row := range r.Rows {
		xs = append(xs, float64(row.Policies))
		ys = append(ys, row.MeanMs[0]*1e6)
	}
	s, _ := leastSquares(xs, ys)
	return roundDuration(s), r.Sizes[0].Label
}

// fitSlopes fits every configuration of the table whose rows hold policy
// steps with a control arm, at every size. A configuration without a step
// of its own at 0 policies shares its source's (a study of several shapes
// measures step 0 once).
func (t *Table) fitSlopes(g *grouping, cells map[cellKey]*dists, o options) []Slope {
	ids := make([]RowID, len(t.Rows))
	for i, r := range t.Rows {
		ids[i] = r.RowID
	}
	var out []Slope
	for _, c := range fitGroups(ids) {
		idx := c.rows
		for s, size := range t.Sizes {
			var points []fitPoint
			var policies []int
			for _, i := range idx {
				r := t.Rows[i]
				k := cellKey{r.key, size.Bytes}
				ck, ctl := g.control(r, size.Bytes)
				if r.Cells[s].Missing || ctl == nil || cells[k] == nil || cells[ck] == nil {
					continue
				}
				points = append(points, fitPoint{x: float64(r.Policies), target: cells[k].by(t.Statistic), control: cells[ck].by(t.Statistic)})
				policies = append(policies, r.Policies)
			}
			slope, lo, hi, ok := fitSlope(points, o)
			if !ok {
				continue
			}
			name := g.configLabel(c.src, c.config)
			if name == "" {
				name = "every step"
			}
			out = append(out, Slope{
				Config: name, Size: size.Label, Policies: policies, Statistic: t.Statistic,
				PerPolicy: roundDuration(slope), CILow: roundDuration(lo), CIHigh: roundDuration(hi),
				Significant: lo > 0 || hi < 0, Confidence: o.confidence,
			})
		}
	}
	return out
}

// fitGroup is one configuration's rows of a fit across policy counts.
type fitGroup struct {
	src    int
	config string
	rows   []int
}

// fitGroups gathers the policy-step rows by source and configuration, in
// the rows' order. A configuration without a step at 0 policies gets its
// source's (a study of several shapes measures step 0 once); one that then
// holds no step with policies has nothing to fit and is left out.
func fitGroups(rows []RowID) []fitGroup {
	var groups []fitGroup
	type key struct {
		src    int
		config string
	}
	at := map[key]int{}
	zero := map[int][]int{} // source → its rows at 0 policies
	for i, r := range rows {
		if r.Step == "" || r.PolicyKind == "" {
			continue // not a policy step (a plain load, a mesh)
		}
		k := key{r.key.src, r.key.mesh}
		j, ok := at[k]
		if !ok {
			j = len(groups)
			at[k] = j
			groups = append(groups, fitGroup{src: r.key.src, config: r.key.mesh})
		}
		groups[j].rows = append(groups[j].rows, i)
		if r.Policies == 0 {
			zero[r.key.src] = append(zero[r.key.src], i)
		}
	}
	var out []fitGroup
	for _, g := range groups {
		if !slices.ContainsFunc(g.rows, func(i int) bool { return rows[i].Policies == 0 }) && len(zero[g.src]) == 1 {
			g.rows = append([]int{zero[g.src][0]}, g.rows...)
		}
		if slices.ContainsFunc(g.rows, func(i int) bool { return rows[i].Policies > 0 }) {
			out = append(out, g)
		}
	}
	return out
}
