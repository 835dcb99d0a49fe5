package runner

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// These tests break the lab under a running study, as a real cluster breaks:
// the apiserver dies, etcd stalls, the policy engine dies, someone deletes
// the client pod. Each run must end with a clear error (or survive), leave
// nothing behind once the cluster is back, and the lab is repaired after.

// onLine runs action (once, in its own goroutine) when a progress line
// contains text.
type onLine struct {
	t      *testing.T
	text   string
	action func()
	fired  *bool
}

func (o onLine) Write(p []byte) (int, error) {
	o.t.Log(strings.TrimSpace(string(p)))
	if !*o.fired && strings.Contains(string(p), o.text) {
		*o.fired = true
		go o.action()
	}
	return len(p), nil
}

// faultConfig is a study of steps whose first step measures for about ten
// seconds, the window a fault lands in.
func faultConfig(t *testing.T, steps ...int) Config {
	cfg := smallConfig(t, steps...)
	cfg.Placement = cluster.CrossNode
	cfg.Load = Load{Sizes: []string{".5k"}, Requests: 600, Rate: 50, Warmup: 5, Rounds: 1, Timeout: 5 * time.Second}
	return cfg
}

// repair restarts what a test stopped and waits until the lab is healthy,
// so the next test finds it whole.
func repair(t *testing.T, l *lab.Lab, name string, nodes ...string) {
	t.Helper()
	t.Cleanup(func() {
		for _, n := range nodes {
			if _, err := l.Signal(name, n, syscall.SIGCONT); err != nil {
				if err := l.StartComponent(name, n); err != nil {
					t.Errorf("restarting %s %s: %v", n, name, err)
				}
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := l.WaitReady(ctx); err != nil {
			t.Errorf("the lab did not recover: %v", err)
		}
	})
}

func TestAPIServerKilledMidStepFailsAndCleanupRemovesAll(t *testing.T) {
	c := labClient(t)
	l := labtest.Up(t)
	repair(t, l, lab.ComponentAPIServer, "")
	defer func(g time.Duration) { cluster.APIServerGrace = g }(cluster.APIServerGrace)
	cluster.APIServerGrace = 10 * time.Second

	cfg := faultConfig(t, 0)
	fired := false
	cfg.Log = onLine{t: t, text: "step 1/1", fired: &fired, action: func() {
		time.Sleep(3 * time.Second)
		if err := l.Kill(context.Background(), lab.ComponentAPIServer, ""); err != nil {
			t.Errorf("killing the apiserver: %v", err)
		}
	}}
	start := time.Now()
	_, err := Run(context.Background(), c, cfg)
	var lost *cluster.APIServerLostError
	if !errors.As(err, &lost) || !strings.Contains(err.Error(), "meshbench cleanup --run "+cfg.RunID) {
		t.Fatalf("run with its apiserver killed: %v; want the apiserver named as lost and how to clean up", err)
	}
	if took := time.Since(start); took > 2*time.Minute {
		t.Errorf("the run took %s to give up", took)
	}
	if err := l.StartComponent(lab.ComponentAPIServer, ""); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := l.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	// What `meshbench cleanup --run ID` does.
	if _, err := c.DeleteRun(ctx, cfg.RunID); err != nil {
		t.Fatalf("cleanup once the apiserver is back: %v", err)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func TestEtcdPausedMidStepLeaksNothing(t *testing.T) {
	c := labClient(t)
	l := labtest.Up(t)
	repair(t, l, lab.ComponentEtcd, "")
	cfg := faultConfig(t, 0)
	fired := false
	cfg.Log = onLine{t: t, text: "step 1/1", fired: &fired, action: func() {
		time.Sleep(2 * time.Second)
		if _, err := l.Signal(lab.ComponentEtcd, "", syscall.SIGSTOP); err != nil {
			t.Errorf("pausing etcd: %v", err)
			return
		}
		time.Sleep(10 * time.Second)
		if _, err := l.Signal(lab.ComponentEtcd, "", syscall.SIGCONT); err != nil {
			t.Errorf("resuming etcd: %v", err)
		}
	}}
	doc, err := Run(context.Background(), c, cfg)
	if !fired {
		t.Fatal("the fault never fired")
	}
	t.Logf("run with etcd paused 10 s: err %v", err)
	if err == nil && len(doc.Cells) == 0 {
		t.Error("the run survived but measured nothing")
	}
	if err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := c.DeleteRun(ctx, cfg.RunID); err != nil {
			t.Fatalf("cleanup: %v", err)
		}
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func TestPolicyEngineKilledIsCaughtByTheEnforcementCheck(t *testing.T) {
	c := labClient(t)
	l := labtest.Up(t)
	var nodes []string
	for _, n := range l.Nodes() {
		nodes = append(nodes, n.Name)
	}
	repair(t, l, lab.ComponentKubeRouter, nodes...)
	cfg := faultConfig(t, 0, 5)
	cfg.EnforceTimeout = 20 * time.Second
	fired := false
	cfg.Log = onLine{t: t, text: "step 1/2", fired: &fired, action: func() {
		for _, n := range nodes {
			if err := l.Kill(context.Background(), lab.ComponentKubeRouter, n); err != nil {
				t.Errorf("killing kube-router on %s: %v", n, err)
			}
		}
	}}
	_, err := Run(context.Background(), c, cfg)
	if err == nil || !strings.Contains(err.Error(), "not enforced") {
		t.Fatalf("run with its policy engine dead: %v; want the step not enforced", err)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func TestClientPodDeletedMidStepFailsClearly(t *testing.T) {
	c := labClient(t)
	cfg := faultConfig(t, 0)
	fired := false
	cfg.Log = onLine{t: t, text: "step 1/1", fired: &fired, action: func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		ns := "meshbench-" + cfg.RunID
		for ctx.Err() == nil {
			pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: cluster.LabelRole + "=" + cluster.RoleClient})
			if err == nil {
				for _, p := range pods.Items {
					if strings.HasPrefix(p.Name, "meshbench-client-") && p.Status.Phase == "Running" {
						zero := int64(0)
						_ = c.Kube.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
						return
					}
				}
			}
			time.Sleep(200 * time.Millisecond)
		}
	}}
	start := time.Now()
	_, err := Run(context.Background(), c, cfg)
	var gone *cluster.PodGoneError
	if !errors.As(err, &gone) {
		t.Fatalf("run whose client pod was deleted: %v; want it to say the pod was deleted", err)
	}
	if took := time.Since(start); took > 90*time.Second {
		t.Errorf("the run took %s to notice", took)
	}
	assertNothingLeft(t, c, cfg.RunID)
}
