package main

import (
	"context"
	"time"

	"github.com/spf13/pflag"
)

// maxLinger bounds --linger: a client pod that outstays its measurement
// for longer only holds the run up.
const maxLinger = time.Minute

// lingerFlag is --linger of the client commands: after the results are
// written the process stays up this long. A run that reads the server
// node's datapath gives it time to take its last reads while the client
// pod is still running: the pod's exit makes the policy engine rewrite its
// rules (kube-router restores the table, restarting every counter), which
// would otherwise lose the end of a short window such as a crr burst.
type lingerFlag struct{ d time.Duration }

func (l *lingerFlag) register(f *pflag.FlagSet) {
	f.DurationVar(&l.d, "linger", 0, "after writing the results, stay up this long (0 to 1m), e.g. 2s while a run reads the server node's counters")
}

// check refuses a value outside 0..maxLinger.
func (l *lingerFlag) check() error {
	if l.d < 0 || l.d > maxLinger {
		return usagef("--linger %v: want a duration from 0 to %v, e.g. 2s", l.d, maxLinger)
	}
	return nil
}

// wait stays up for the flag's duration or until ctx ends (Ctrl-C).
func (l *lingerFlag) wait(ctx context.Context) {
	if l.d <= 0 {
		return
	}
	t := time.NewTimer(l.d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// settleFlag is --settle of rtt and load: once the targets are reachable,
// wait this long before the first round trip or request. A new client
// pod's start and the previous pod's removal make the policy engine
// rewrite its rules a moment after the pod is admitted; a rewrite inside
// the measurement both disturbs it and restarts the counters a run reads
// beside it (what a rule matched since the last read is lost), while one
// in the idle wait loses nothing.
type settleFlag struct{ d time.Duration }

func (s *settleFlag) register(f *pflag.FlagSet) {
	f.DurationVar(&s.d, "settle", 0, "once the targets are reachable, wait this long (0 to 1m) before measuring, e.g. 2s for a new pod's policy engine to finish its rewrites")
}

// check refuses a value outside 0..maxLinger.
func (s *settleFlag) check() error {
	if s.d < 0 || s.d > maxLinger {
		return usagef("--settle %v: want a duration from 0 to %v, e.g. 2s", s.d, maxLinger)
	}
	return nil
}

// wait waits for the flag's duration or until ctx ends (Ctrl-C).
func (s *settleFlag) wait(ctx context.Context) error {
	(&lingerFlag{s.d}).wait(ctx)
	return ctx.Err()
}
