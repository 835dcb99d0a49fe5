package runner

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/results"
)

// Where meshbench cannot enter the server's node and --datapath-pod is not
// given, the datapath is not measured and the note names the flag, once
// however many windows ask.
func TestDatapathSkippedNamesTheFlag(t *testing.T) {
	for _, access := range []func(string) (datapath.Node, error){
		nil,
		func(node string) (datapath.Node, error) {
			return nil, errors.New("node " + node + " is not a node of the lab")
		},
	} {
		r := &run{cfg: Config{Measures: Measures{Latency: true, Datapath: true}, NodeAccess: access},
			serverNodes: map[string]string{results.ArmTarget: "worker-1"}, doc: results.New()}
		for range 2 {
			if w := r.openDatapath(context.Background(), datapath.ReadEvery); w.rec != nil {
				t.Fatal("a window opened without node access")
			}
		}
		if len(r.doc.Notes) != 1 || !strings.Contains(r.doc.Notes[0], "worker-1") || !strings.Contains(r.doc.Notes[0], "--datapath-pod") {
			t.Errorf("notes %q: want one naming the node and --datapath-pod", r.doc.Notes)
		}
	}
}
