package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// shapesDocument is a study of two decoy shapes sharing step 0, as run
// --shape ports,peers writes it: the ports shape costs 60 µs at 100
// policies, the peers shape 5 µs.
func shapesDocument() *results.Document {
	ports := runDocument(40, "", []int{0, 100}, map[int]time.Duration{100: 60 * time.Microsecond})
	peers := runDocument(80, "", []int{100}, map[int]time.Duration{100: 5 * time.Microsecond})
	for i := range ports.Cells {
		if ports.Cells[i].Policies > 0 {
			ports.Cells[i].Shape = "ports"
		}
	}
	for i := range peers.Cells {
		peers.Cells[i].Shape = "peers"
	}
	ports.Cells = append(ports.Cells, peers.Cells...)
	return ports
}

func TestShapesAreRowsOfTheirOwn(t *testing.T) {
	doc := shapesDocument()
	if err := doc.Validate(); err != nil {
		t.Fatalf("a study of two shapes at the same step is a valid document: %v", err)
	}
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	var labels []string
	for _, r := range tab.Rows {
		labels = append(labels, r.Label)
	}
	if got := strings.Join(labels, ","); got != "none / 0,ports / 100,peers / 100" {
		t.Fatalf("rows %s, want the shared step 0, then each shape's steps in the order measured", got)
	}
	if !tab.Rows[0].Baseline {
		t.Fatalf("baseline is %q, want the step without policies", tab.Baseline)
	}
	// Each shape's row keeps its own paired figure: 60 µs and 5 µs.
	for i, want := range map[int]float64{1: 60, 2: 5} {
		p := tab.Rows[i].Cells[0].Paired
		if p == nil {
			t.Fatalf("%s has no target-over-control figure", tab.Rows[i].Label)
		}
		got := float64(p.Median.Diff) / 1e3
		if got < want-15 || got > want+15 {
			t.Errorf("%s: target over control %.1f µs, want about %.0f", tab.Rows[i].Label, got, want)
		}
	}
}

func TestOneShapeKeepsPlainStepRows(t *testing.T) {
	doc := runDocument(10, "", []int{0, 10}, nil)
	for i := range doc.Cells {
		if doc.Cells[i].Policies > 0 {
			doc.Cells[i].Shape = "ports"
		}
	}
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	if tab.RowTitle != "policies" || tab.Rows[1].Label != "10" {
		t.Fatalf("row title %q, rows %q, %q: one shape must not change the rows of a plain study", tab.RowTitle, tab.Rows[0].Label, tab.Rows[1].Label)
	}
}
