package datapath

import (
	"context"
	"fmt"

	"github.com/meshbench/meshbench/cpu"
)

// Sampler is what a Node offers when it reads the rules and the CPU times
// together, at an instant of the node's own clock (a datapath agent's
// sample): Take then builds a snapshot from one sample, timed by the
// sample, rather than from two commands each waiting for a sample of its
// own and timed by this process's clock when the first began.
type Sampler interface {
	Sample(ctx context.Context) (AgentSample, error)
}

// takeSample is Take through a Sampler: both durations of a window then
// come from the node's clock, read where the CPU times were read.
func takeSample(ctx context.Context, name string, sp Sampler) (*Snapshot, error) {
	a, err := sp.Sample(ctx)
	if err != nil {
		return nil, fmt.Errorf("datapath of node %s: %w", name, err)
	}
	s := &Snapshot{At: a.At}
	rules, rerr := a.Rules()
	if rerr != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("iptables counters of %s not read: %v", name, rerr))
	} else if s.Rules, err = ParseSave(rules); err != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("iptables counters of %s: %v", name, err))
	}
	proc, perr := a.ProcFiles()
	if perr != nil {
		s.Notes = append(s.Notes, fmt.Sprintf("CPU times of %s not read: %v", name, perr))
	} else {
		if c, err := cpu.ParseSnapshot(proc, s.At); err == nil {
			s.CPU = &c
		} else {
			s.Notes = append(s.Notes, fmt.Sprintf("CPU times of %s: %v", name, err))
		}
		s.RunQueue, s.Load1 = parseLoad(string(proc))
	}
	if rerr != nil && perr != nil {
		return nil, fmt.Errorf("datapath of node %s: %w", name, rerr)
	}
	return s, nil
}
