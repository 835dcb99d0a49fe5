package runner

import (
	"context"
	"fmt"
	"slices"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/results"
)

// datapathWindow brackets one latency window with snapshots of the target
// server's node; the zero value measures nothing.
type datapathWindow struct {
	node   datapath.Node
	before *datapath.Snapshot
}

// openDatapath takes the first snapshot when the run measures the datapath
// and can read the target's node; otherwise it notes why not, once.
func (r *run) openDatapath(ctx context.Context) datapathWindow {
	if !r.cfg.Measures.Datapath {
		return datapathWindow{}
	}
	server := r.serverNodes[results.ArmTarget]
	var node datapath.Node
	err := fmt.Errorf("no access to node %s: meshbench reads a node's datapath on the lab (the lab's nodes are network namespaces it enters)", server)
	if r.cfg.NodeAccess != nil {
		node, err = r.cfg.NodeAccess(server)
	}
	if err == nil {
		var s *datapath.Snapshot
		if s, err = datapath.Take(ctx, node); err == nil {
			return datapathWindow{node: node, before: s}
		}
	}
	if note := fmt.Sprintf("datapath not measured: %v", err); !slices.Contains(r.doc.Notes, note) {
		r.doc.Notes = append(r.doc.Notes, note)
		r.logf("%s", note)
	}
	return datapathWindow{}
}

// close takes the second snapshot and returns the window's datapath cell,
// nil when nothing was measured. The window's connections are those the
// servers counted in the latency cells, plus the warm-up requests (one
// connection each with keep-alive off) that ran inside it.
func (w datapathWindow) close(ctx context.Context, latency []results.Cell, warmup int) *results.Cell {
	if w.before == nil {
		return nil
	}
	after, err := datapath.Take(ctx, w.node)
	if err != nil {
		return &results.Cell{Arm: results.ArmTarget, Datapath: &results.Datapath{Node: w.node.Name(), Notes: []string{err.Error()}}}
	}
	var conns, target int64
	for _, c := range latency {
		if c.Latency == nil || c.Latency.NewConnections < 0 {
			continue
		}
		conns += c.Latency.NewConnections
		if c.Arm == results.ArmTarget {
			target += c.Latency.NewConnections
		}
	}
	conns += int64(2 * warmup)
	target += int64(warmup)
	d := datapath.Window(w.node.Name(), w.before, after, conns, target)
	return &results.Cell{Arm: results.ArmTarget, Datapath: d}
}
