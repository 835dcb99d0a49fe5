package loadgen

import (
	"context"
	"time"
)

// WaitReachable repeats CheckTargets until every target answers or wait has
// passed, and returns CheckTargets' last error. A pod that has just started
// may not be admitted yet: policy engines (kube-router, Calico, Cilium) learn
// a new pod's address a moment after it runs, so a client in a cluster waits
// for that instead of failing its first connection.
func WaitReachable(ctx context.Context, targets []Target, timeout, wait time.Duration) error {
	deadline := time.Now().Add(wait)
	for {
		err := CheckTargets(ctx, targets, timeout)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(100 * time.Millisecond):
		}
	}
}
