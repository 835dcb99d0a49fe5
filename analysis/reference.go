package analysis

import (
	"fmt"
	"slices"
	"strings"
)

// Reference is a published table shown beside a report for orientation:
// rows are policy counts, columns sizes, values mean request durations.
type Reference struct {
	Name   string         `json:"name"`
	Source string         `json:"source"`
	Sizes  []Size         `json:"sizes"`
	Rows   []ReferenceRow `json:"rows"`
}

// ReferenceRow is one policy count of a reference table.
type ReferenceRow struct {
	Policies int       `json:"policies"`
	MeanMs   []float64 `json:"meanMs"` // aligned with Reference.Sizes
}

// References are the published tables meshbench knows, by name.
var References = map[string]*Reference{
	// Kubernetes blog, "High performance network policies in Kubernetes
	// clusters" (2016): Romana v0.9.3.1 on Kubernetes 1.3, two hosts, 1G NIC,
	// 2,000 requests per cell, keep-alive off, mean ms.
	"romana": {
		Name:   "romana",
		Source: "Romana 2016 (Kubernetes 1.3, iptables, two hosts, 1G NIC; mean of 2,000 requests, keep-alive off)",
		Sizes:  []Size{{".5k", 500}, {"1k", 1000}, {"10k", 10000}, {"100k", 100000}, {"1M", 1000000}},
		Rows: []ReferenceRow{
			{0, []float64{0.732, 0.738, 1.077, 2.532, 10.487}},
			{10, []float64{0.744, 0.742, 1.084, 2.570, 10.556}},
			{50, []float64{0.745, 0.755, 1.086, 2.580, 10.566}},
			{100, []float64{0.762, 0.770, 1.104, 2.640, 10.597}},
			{200, []float64{0.783, 0.783, 1.147, 2.652, 10.677}},
		},
	},
}

// ReferenceNames lists the known references, for flag help.
func ReferenceNames() []string {
	var names []string
	for n := range References {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// grid is the reference as a grid: mean ms and % overhead against its
// first row, at the sizes the reference has.
func (r *Reference) grid() Grid {
	var sizes []string
	for _, s := range r.Sizes {
		sizes = append(sizes, s.Label)
	}
	g := newGrid("Reference: "+r.Source+": mean ms (% overhead vs 0 policies)", "policies", sizes)
	for _, row := range r.Rows {
		var line []string
		for i, v := range row.MeanMs {
			base := r.Rows[0].MeanMs[i]
			line = append(line, fmt.Sprintf("%.3f (%+.1f%%)", v, 100*(v/base-1)))
		}
		g.add(fmt.Sprint(row.Policies), line)
	}
	return g
}

// LookupReference returns the named reference or an error listing the names.
func LookupReference(name string) (*Reference, error) {
	if r, ok := References[strings.ToLower(name)]; ok {
		return r, nil
	}
	return nil, fmt.Errorf("%q: want one of %s", name, strings.Join(ReferenceNames(), ", "))
}
