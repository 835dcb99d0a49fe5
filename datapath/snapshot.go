package datapath

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/meshbench/meshbench/cpu"
	"github.com/meshbench/meshbench/results"
)

// Snapshot is a node's counters at one instant.
type Snapshot struct {
	At    time.Time
	Rules *Ruleset
	CPU   *cpu.Snapshot
	// RunQueue is /proc/stat's procs_running; Load1 /proc/loadavg's first figure.
	RunQueue float64
	Load1    float64
	// Notes say what could not be read.
	Notes []string
}

// Take reads node's rule counters, CPU times and load. A part that cannot be
// read leaves a note; only a node that answers nothing is an error.
func Take(ctx context.Context, node Node) (*Snapshot, error) {
	if sp, ok := node.(Sampler); ok {
		return takeSample(ctx, node.Name(), sp)
	}
	s := &Snapshot{At: time.Now()}
	var failed []error
	if out, err := node.Run(ctx, "iptables-save", "-c"); err != nil {
		failed = append(failed, err)
		s.Notes = append(s.Notes, fmt.Sprintf("iptables counters of %s not read: %v", node.Name(), err))
	} else if s.Rules, err = ParseSave(out); err != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("iptables counters of %s: %v", node.Name(), err))
	}
	if out, err := node.Run(ctx, "cat", "/proc/stat", "/proc/loadavg"); err != nil {
		failed = append(failed, err)
		s.Notes = append(s.Notes, fmt.Sprintf("CPU times of %s not read: %v", node.Name(), err))
	} else {
		if c, err := cpu.ParseSnapshot(out, s.At); err == nil {
			s.CPU = &c
		} else {
			s.Notes = append(s.Notes, fmt.Sprintf("CPU times of %s: %v", node.Name(), err))
		}
		s.RunQueue, s.Load1 = parseLoad(string(out))
	}
	if len(failed) == 2 {
		return nil, fmt.Errorf("datapath of node %s: %w", node.Name(), failed[0])
	}
	return s, nil
}

// parseLoad finds procs_running in /proc/stat and the one-minute load in
// /proc/loadavg (its line starts with three decimals and a slash field).
func parseLoad(text string) (runQueue, load1 float64) {
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 2 && f[0] == "procs_running":
			runQueue, _ = strconv.ParseFloat(f[1], 64)
		case len(f) >= 4 && strings.Contains(f[3], "/"):
			load1, _ = strconv.ParseFloat(f[0], 64)
		}
	}
	return runQueue, load1
}

// Window is the node's work between snapshots a and b for the given new
// connections; epochs are the rule counters' packets over the window (an
// Accumulator's, which survives rewrites and renamings) and changed the
// rules it could not follow; target is the address of the pod the policies
// select, whose own chains' checks are its policy walk.
func Window(node string, a, b *Snapshot, epochs []*Ruleset, changed int, target string, conns, targetConns int64) *results.Datapath {
	d := &results.Datapath{Node: node, Duration: b.At.Sub(a.At), Connections: conns, TargetConnections: targetConns, Changed: changed}
	d.Notes = append(append(d.Notes, a.Notes...), b.Notes...)
	if len(epochs) > 0 && b.Rules != nil {
		for _, e := range Engines {
			ew := results.EngineWork{Engine: e.Name, Rules: b.Rules.RuleCount(e.Owns)}
			if ew.Rules == 0 {
				continue
			}
			for _, counts := range epochs {
				for table := range counts.Tables {
					w := WalkCounts(counts, table)
					all := w.Sum(e.Owns)
					ew.Evaluations += all.Evaluations
					ew.ChainsEntered += all.Entered
					if target != "" {
						// The target's chains of this epoch: an engine that
						// renames them keeps the "-d ip/32" jump into them.
						pod := PodChains(counts.Tables[table], target, e.Owns)
						ew.SelectedEvaluations += w.Sum(func(c string) bool { return pod[c] }).Evaluations
					}
				}
			}
			d.Engines = append(d.Engines, ew)
		}
	}
	if a.CPU != nil && b.CPU != nil {
		d.CPU = cpu.Between(*a.CPU, *b.CPU)
		d.CPU.Source = "node " + node
		d.Load = &results.NodeLoad{
			Load1: b.Load1, RunQueue: (a.RunQueue + b.RunQueue) / 2, CPUs: d.CPU.CPUs,
			BusyCores: d.CPU.User + d.CPU.Nice + d.CPU.System + d.CPU.IRQ + d.CPU.Softirq + d.CPU.Steal,
		}
	}
	return d
}
