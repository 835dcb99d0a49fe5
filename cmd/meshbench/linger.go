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
