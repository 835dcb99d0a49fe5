package runner

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/results"
)

// settle is how many consecutive attempts must agree before a state counts
// as enforced: one lucky attempt proves nothing while rules are being written.
const settle = 3

// prober names.
const (
	clientProber = "meshbench-prober-client"
	deniedProber = "meshbench-prober-denied"
)

// waitEnforced polls the probers' logs until, in attempts made after since,
// the client's prober is admitted and the other prober is denied (admitted
// when policies == 0), settle times in a row. It returns how long that took.
func (r *run) waitEnforced(ctx context.Context, policies int, since time.Time) (*results.Enforcement, error) {
	wantProbe := policies == 0
	deadline := time.Now().Add(r.cfg.EnforceTimeout)
	var clientAt, probeAt time.Time
	var clientOK, probeOK bool
	for {
		var err error
		clientAt, clientOK, err = r.settledSince(ctx, clientProber, since, true)
		if err != nil {
			return nil, err
		}
		probeAt, probeOK, err = r.settledSince(ctx, deniedProber, since, wantProbe)
		if err != nil {
			return nil, err
		}
		if clientOK && probeOK {
			at := clientAt
			if probeAt.After(at) {
				at = probeAt
			}
			return &results.Enforcement{Enforced: true, ProbeDenied: !wantProbe, ClientAllowed: true, After: max(at.Sub(since), 0)}, nil
		}
		if time.Now().After(deadline) {
			var why string
			switch {
			case !clientOK:
				why = "the client is not admitted: the allowing policy does not reach the data plane"
			case !wantProbe:
				why = "a pod no policy allows still reaches the server: the cluster does not enforce these policies (does its CNI enforce NetworkPolicy?)"
			default:
				why = "a pod is still denied with no policy applied: the previous step's rules were not removed"
			}
			return nil, fmt.Errorf("step with %d policies not enforced after %s: %s", policies, r.cfg.EnforceTimeout, why)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(300 * time.Millisecond):
		}
	}
}

// settledSince reads a prober's recent attempts from its logs and applies settled.
func (r *run) settledSince(ctx context.Context, pod string, since time.Time, want bool) (time.Time, bool, error) {
	logs, err := r.c.Logs(ctx, r.ns, pod, 200)
	if err != nil {
		return time.Time{}, false, err
	}
	at, ok := settled(parseAttempts(logs), since, want)
	return at, ok, nil
}

// parseAttempts reads a prober's JSON lines; other lines are skipped.
func parseAttempts(logs []byte) []loadgen.ProbeResult {
	var attempts []loadgen.ProbeResult
	sc := bufio.NewScanner(bytes.NewReader(logs))
	for sc.Scan() {
		var p loadgen.ProbeResult
		if json.Unmarshal(sc.Bytes(), &p) == nil && !p.Time.IsZero() {
			attempts = append(attempts, p)
		}
	}
	return attempts
}

// settled reports whether the last settle attempts made after since all had
// outcome want, and when the unbroken run of want that they end began.
func settled(attempts []loadgen.ProbeResult, since time.Time, want bool) (time.Time, bool) {
	first, n := -1, 0
	for i := len(attempts) - 1; i >= 0; i-- {
		a := attempts[i]
		if !a.Time.After(since) || a.OK != want {
			break
		}
		first, n = i, n+1
	}
	if n < settle {
		return time.Time{}, false
	}
	return attempts[first].Time, true
}

// startProbers creates the two prober pods against the target server: one
// with the client's labels (must be admitted) and one no policy admits.
func (r *run) startProbers(ctx context.Context, targetURL string) error {
	w := r.workload()
	a, err := cluster.ToUnstructured(
		w.Prober(clientProber, cluster.RoleClient, targetURL+"/healthz"),
		w.Prober(deniedProber, cluster.RoleProbe, targetURL+"/healthz"),
	)
	if err != nil {
		return err
	}
	if err := r.c.Apply(ctx, a, cluster.ApplyOptions{}); err != nil {
		return err
	}
	for _, name := range []string{clientProber, deniedProber} {
		if _, err := r.c.WaitReadyPod(ctx, r.ns, "name="+name, r.cfg.PodTimeout); err != nil {
			return err
		}
	}
	return nil
}
