package analysis

import (
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// The report's header says where the run measured: its placement and the
// nodes of the client and of each arm's server, as the document recorded
// them, so a cross-node table is never mistaken for a same-node one.
func TestReportHeaderSaysPlacementAndNodes(t *testing.T) {
	doc := runDocument(7, "", []int{0, 100}, map[int]time.Duration{100: 200 * time.Microsecond})
	doc.Cluster = &results.Cluster{Placement: "cross-node", CNI: "kube-router", Nodes: []results.Node{{Name: "mblab-node-1"}, {Name: "mblab-node-2"}}}
	for i := range doc.Cells {
		doc.Cells[i].ClientNode = "mblab-node-2"
		doc.Cells[i].ServerNode = "mblab-node-1"
	}
	r := buildReport(t, doc)
	for _, f := range []Format{FormatTable, FormatMarkdown} {
		text := renderReport(t, r, f)
		for _, want := range []string{
			"Measured: kube-router, 2 nodes, cross-node",
			"Nodes: cross-node: client on mblab-node-2; control on mblab-node-1; target on mblab-node-1",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("%s report lacks %q:\n%s", f, want, text[:min(len(text), 400)])
			}
		}
	}
}
