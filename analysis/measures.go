package analysis

import (
	"maps"

	"github.com/meshbench/meshbench/results"
)

// RowID identifies one row of any table of a report: a step or
// configuration of one source and arm, labelled alike in every table.
type RowID struct {
	Label      string `json:"label"`
	Source     string `json:"source,omitempty"`
	Mesh       string `json:"mesh"`
	Step       string `json:"step"`
	Policies   int    `json:"policies"`
	PolicyKind string `json:"policyKind,omitempty"`
	Arm        string `json:"arm"`
	Baseline   bool   `json:"baseline,omitempty"`

	key rowKey
}

// keyedCell is a document cell with the row it belongs to.
type keyedCell struct {
	key  rowKey
	cell *results.Cell
}

// measureRows gathers the cells keep accepts and returns them (every arm's:
// the control's are the other side of paired figures) with the rows of the
// arm the rows show (the latency table's choice: arm, "target" when present,
// else every arm; ArmAll: every arm), in the latency table's order with its
// labels and row title.
func measureRows(sources []Source, arm string, keep func(*results.Cell) bool) (rows []RowID, cells []keyedCell, title string) {
	order := appearance{}
	arms := map[string]bool{}
	var all []keyedCell
	for si, src := range sources {
		for _, d := range src.Docs {
			config := d.ConfigLabeler()
			for i := range d.Cells {
				c := &d.Cells[i]
				if !keep(c) {
					continue
				}
				k := rowKey{si, config(c), c.Step, c.Arm}
				order.see(k)
				arms[c.Arm] = true
				all = append(all, keyedCell{k, c})
			}
		}
	}
	switch {
	case arm == ArmAll:
		arm = ""
	case arm == "" && arms[results.ArmTarget]:
		arm = results.ArmTarget
	}
	meta := map[rowKey]*results.Cell{}
	for _, kc := range all {
		if (arm == "" || kc.key.arm == arm) && meta[kc.key] == nil {
			meta[kc.key] = kc.cell
		}
	}
	if len(meta) == 0 {
		return nil, nil, ""
	}
	g := &grouping{sources: sources, arm: arm}
	g.keys = sortedRowKeys(maps.Keys(meta), order)
	for _, k := range g.keys {
		c := meta[k]
		rows = append(rows, RowID{Label: g.label(k), Source: sources[k.src].Label, Mesh: k.mesh, Step: k.step,
			Policies: c.Policies, PolicyKind: c.PolicyKind, Arm: k.arm, key: k})
	}
	return rows, all, g.rowTitle()
}

// pickMeasureBaseline marks the baseline row the way the latency table picks
// its own. A wanted baseline no row matches falls back to the default and
// matched is false: the report decides whether that is an error (it is when
// no table of the report has such a row).
func pickMeasureBaseline(rows []RowID, want string) (base int, matched bool) {
	rs := make([]Row, len(rows))
	for i, r := range rows {
		rs[i] = Row{RowID: r}
	}
	i, err := pickBaseline(rs, want)
	if err != nil {
		i, _ = pickBaseline(rs, "")
	}
	rows[i].Baseline = true
	return i, err == nil
}

// controlKey is the control arm's row at r's step.
func controlKey(k rowKey) rowKey {
	k.arm = results.ArmControl
	return k
}
