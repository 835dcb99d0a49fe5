package analysis

import (
	"fmt"

	"github.com/meshbench/meshbench/results"
)

// Report is every measurement of a set of documents: the latency table and,
// beside it, throughput, round trips and CPU. Tables the documents have no
// cells for are nil.
type Report struct {
	// Facts say what was measured where: engine, nodes, placement, load.
	Facts      *Facts           `json:"facts"`
	Latency    *Table           `json:"latency"`
	Throughput *ThroughputTable `json:"throughput"`
	RTT        *RTTTable        `json:"rtt"`
	CPU        *CPUTable        `json:"cpu"`
	Datapath   *DatapathTable   `json:"datapath,omitempty"`
	// DatapathCRR is the same over the target's crr windows: per new
	// connection they pay what HTTP's do.
	DatapathCRR *DatapathTable `json:"datapathCRR,omitempty"`
	// Plot chooses what the figures of an HTML report compare with.
	Plot PlotOptions `json:"-"`
}

// BuildReport builds every table the documents have cells for, with the
// same options (baseline, arm, bootstrap) as BuildTable.
func BuildReport(sources []Source, o TableOptions) (*Report, error) {
	if o.Statistic == "" {
		o.Statistic = Median
	}
	if _, ok := ParseStatistic(string(o.Statistic)); !ok {
		return nil, &InputError{"--statistic", fmt.Sprintf("%q: want median or mean", o.Statistic)}
	}
	r := &Report{Facts: buildFacts(sources)}
	if hasCells(sources, func(c *results.Cell) bool { return c.Latency != nil }) {
		t, err := BuildTable(sources, o)
		if err != nil {
			return nil, err
		}
		r.Latency = t
	}
	co := newOptions(o.Compare)
	r.Throughput = buildThroughput(sources, o, co.confidence)
	r.RTT = buildRTT(sources, o, o.Compare)
	r.CPU = buildCPU(sources, o)
	r.Datapath = buildDatapath(sources, results.WindowHTTP)
	r.DatapathCRR = buildDatapath(sources, results.WindowCRR)
	if r.Latency == nil && r.Throughput == nil && r.RTT == nil && r.CPU == nil {
		if o.Arm != "" && o.Arm != ArmAll && hasCells(sources, func(c *results.Cell) bool { return true }) {
			return nil, &InputError{"--arm", fmt.Sprintf("%q: no cells of that arm", o.Arm)}
		}
		return nil, &InputError{Msg: "no latency measurements, nor throughput, rtt or cpu ones, in the given documents"}
	}
	if o.Baseline != "" && r.Latency == nil && !(r.Throughput != nil && r.Throughput.baseMatch) && !(r.RTT != nil && r.RTT.baseMatch) {
		return nil, &InputError{"--baseline", fmt.Sprintf("%q: no such row", o.Baseline)}
	}
	return r, nil
}

func hasCells(sources []Source, keep func(*results.Cell) bool) bool {
	for _, s := range sources {
		for _, d := range s.Docs {
			for i := range d.Cells {
				if keep(&d.Cells[i]) {
					return true
				}
			}
		}
	}
	return false
}
