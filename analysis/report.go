package analysis

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/meshbench/meshbench/results"
)

// Report is every measurement of a set of documents: the latency table and,
// beside it, throughput, round trips and CPU. Tables the documents have no
// cells for are nil.
type Report struct {
	// Facts say what was measured where: engine, nodes, placement, load.
	Facts      *Facts           `json:"facts"`
	Latency    *Table           `json:"latency,omitempty"`
	Throughput *ThroughputTable `json:"throughput,omitempty"`
	RTT        *RTTTable        `json:"rtt,omitempty"`
	CPU        *CPUTable        `json:"cpu,omitempty"`
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

// onlyLatency is true when the report is the latency table alone: it then
// renders exactly as Render renders that table.
func (r *Report) onlyLatency() bool {
	return r.Latency != nil && r.Throughput == nil && r.RTT == nil && r.CPU == nil
}

// RenderReport writes r in format f: the latency table as Render writes it,
// then throughput, round trips and CPU in the same format. JSON is the
// report model ({"latency": ..., "throughput": ..., ...}) unless the report
// is the latency table alone, which stays the table model.
func RenderReport(w io.Writer, r *Report, f Format) error {
	if r.onlyLatency() {
		return Render(w, r.Latency, f)
	}
	switch f {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case FormatTable, "", FormatMarkdown, FormatCSV:
	default:
		return fmt.Errorf("unknown format %q", f)
	}
	first := true
	if r.Latency != nil {
		if err := Render(w, r.Latency, f); err != nil {
			return err
		}
		first = false
	}
	for _, s := range r.sections() {
		if !first {
			if _, err := fmt.Fprintln(w); err != nil {
				return err
			}
		}
		first = false
		var err error
		switch f {
		case FormatCSV:
			err = s.csv(w)
		case FormatMarkdown:
			err = s.markdown(w)
		default:
			err = s.text(w)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
