package datapath

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/meshbench/meshbench/results"
)

// ReadEvery is how often a Recorder reads the rule counters during a
// window: often enough that an engine's rewrite loses at most this much of
// the count, seldom enough that iptables-save (tens of milliseconds for a
// thousand rules) stays a small load beside the one measured.
const ReadEvery = time.Second

// ReadEveryBurst is the reading interval for a short window of new
// connections such as a crr run (a thousand round trips in about a second):
// a rewrite of the engine's rules, which the client pod's own start and end
// cause, would otherwise lose most of the window's count.
const ReadEveryBurst = 250 * time.Millisecond

// Recorder follows a node's counters through a window.
type Recorder struct {
	node   Node
	target net.IP
	first  *Snapshot
	bpf    *bpfWindow
	acc    Accumulator
	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan struct{}
	// last is the window's last snapshot once End took it; lastErr why
	// it could not be taken.
	ended   bool
	last    *Snapshot
	lastErr error
}

// Record takes the window's first snapshot and reads the rule counters
// every interval until Stop. With target, the address of the pod the
// policies select, it also follows the BPF programs attached to the pod's
// interface, where the node can run code in its namespace.
func Record(ctx context.Context, node Node, every time.Duration, target net.IP) (*Recorder, error) {
	first, err := Take(ctx, node)
	if err != nil {
		return nil, err
	}
	r := &Recorder{node: node, target: target, first: first, done: make(chan struct{})}
	if ns, ok := node.(InNetns); ok && target != nil {
		r.bpf = openBPF(ns, target, first)
	}
	r.acc.Add(first.Rules)
	ctx, r.cancel = context.WithCancel(ctx)
	go r.loop(ctx, every)
	return r, nil
}

func (r *Recorder) loop(ctx context.Context, every time.Duration) {
	defer close(r.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			out, err := r.node.Run(ctx, "iptables-save", "-c")
			if err != nil {
				continue // the final read says what failed
			}
			if rs, err := ParseSave(out); err == nil {
				r.mu.Lock()
				r.acc.Add(rs)
				r.mu.Unlock()
			}
		}
	}
}

// End takes the window's last snapshot as soon as the traffic it measures
// has ended, before whatever the caller does next (deleting the client pod,
// which has the engine rewrite its rules) can reach the counters; Stop then
// computes the figures once the connections are counted. A node read
// through an agent answers with its next sample, up to a second later, so
// the earlier the better.
func (r *Recorder) End(ctx context.Context) {
	if r.ended {
		return
	}
	r.ended = true
	r.cancel()
	<-r.done
	r.last, r.lastErr = Take(ctx, r.node)
}

// Stop takes the last snapshot, unless End took it, and returns the
// window's figures for the new connections counted in it.
func (r *Recorder) Stop(ctx context.Context, conns, targetConns int64) *results.Datapath {
	r.End(ctx)
	last, err := r.last, r.lastErr
	if err != nil {
		return &results.Datapath{Node: r.node.Name(), Notes: []string{err.Error()}}
	}
	r.acc.Add(last.Rules)
	target := ""
	if r.target != nil {
		target = r.target.String()
	}
	d := Window(r.node.Name(), r.first, last, r.acc.Epochs(), r.acc.Changed, target, conns, targetConns)
	if r.bpf != nil {
		d.BPF, d.Notes = r.bpf.close(d.Notes)
	}
	return d
}

// Discard stops reading without a result.
func (r *Recorder) Discard() {
	r.cancel()
	<-r.done
	if r.bpf != nil {
		r.bpf.close(nil)
	}
}
