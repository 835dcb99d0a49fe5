package runner

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/results"
)

// datapathWindow brackets one latency window, or the target's crr
// window, with snapshots of the target server's node; the zero value
// measures nothing.
type datapathWindow struct {
	rec *datapath.Recorder
}

// openDatapath takes the first snapshot when the run measures the datapath
// and can read the target's node; otherwise it notes why not, once.
func (r *run) openDatapath(ctx context.Context, every time.Duration) datapathWindow {
	if !r.cfg.Measures.Datapath {
		return datapathWindow{}
	}
	server := r.serverNodes[results.ArmTarget]
	var node datapath.Node
	var err error
	switch {
	case r.cfg.DatapathPod:
		node, err = r.datapathPodNode(ctx, server)
	case r.cfg.NodeAccess != nil:
		if node, err = r.cfg.NodeAccess(server); err != nil {
			err = noNodeAccess(server, err)
		}
	default:
		err = noNodeAccess(server, nil)
	}
	if err == nil {
		var rec *datapath.Recorder
		if rec, err = datapath.Record(ctx, node, every, net.ParseIP(r.targetIP)); err == nil {
			return datapathWindow{rec: rec}
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
	if w.rec == nil {
		return nil
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
	return &results.Cell{Arm: results.ArmTarget, Datapath: w.rec.Stop(ctx, conns, target)}
}

// closeCRR takes the second snapshot of a window around a crr pod and
// returns its datapath cell. The window's connections are one per round
// trip the servers counted plus the warm-up's (another session's on each
// server); the target's are its cell's. The pod's reachability probes and
// the count queries add a few.
func (w datapathWindow) closeCRR(ctx context.Context, rtt []results.Cell, warmup int) *results.Cell {
	if w.rec == nil {
		return nil
	}
	var conns, target int64
	for _, c := range rtt {
		if c.RTT == nil {
			continue
		}
		conns += c.RTT.Connections + int64(warmup)
		if c.Arm == results.ArmTarget {
			target += c.RTT.Connections + int64(warmup)
		}
	}
	d := w.rec.Stop(ctx, conns, target)
	if d == nil {
		return nil
	}
	d.Window = results.WindowCRR
	return &results.Cell{Arm: results.ArmTarget, Datapath: d}
}

// end takes the window's last snapshot: its client has finished, and its
// pod is still there (deleting it has the engine rewrite its rules).
func (w datapathWindow) end(ctx context.Context) {
	if w.rec != nil {
		w.rec.End(ctx)
	}
}

// discard ends a window whose measurement failed.
func (w datapathWindow) discard() {
	if w.rec != nil {
		w.rec.Discard()
	}
}
