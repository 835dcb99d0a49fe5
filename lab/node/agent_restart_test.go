package node_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/lab/node"
)

// A second node for tests that stop and start an agent: its own name,
// address (on loopback, where the apiserver reaches its kubelet API), pod
// CIDR and port, and a NoSchedule taint so the scheduler keeps other tests'
// pods off it.
const (
	testNodeName = "meshbench-node-test"
	testNodeIP   = "127.0.0.2"
	testPodCIDR  = "10.251.2.0/24"
	testPort     = 10251
)

// testAgent runs node.Run for the test node until stopped.
type testAgent struct {
	cancel context.CancelFunc
	done   chan error
}

func startTestAgent(t *testing.T, l *lab.Lab, stateDir, binary string, leavePods bool) *testAgent {
	t.Helper()
	logf, err := os.OpenFile(filepath.Join(stateDir, "agent.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &testAgent{cancel: cancel, done: make(chan error, 1)}
	cfg := node.Config{
		REST:        labtest.RESTConfig(t, l),
		NodeName:    testNodeName,
		NodeIP:      testNodeIP,
		PodCIDR:     testPodCIDR,
		StateDir:    stateDir,
		KubeletPort: testPort,
		Binary:      binary,
		Log:         slog.New(slog.NewTextHandler(logf, nil)),
		Taints:      []corev1.Taint{{Key: "meshbench.io/test-node", Value: "true", Effect: corev1.TaintEffectNoSchedule}},
		LeavePods:   leavePods,
	}
	go func() {
		a.done <- node.Run(ctx, cfg)
		logf.Close()
	}()
	return a
}

func (a *testAgent) stop(t *testing.T) {
	t.Helper()
	a.cancel()
	select {
	case err := <-a.done:
		if err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("agent: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("agent did not stop within a minute")
	}
}

// meshbenchBinary is a meshbench built from this checkout: the one labtest
// built for the lab, or a new one.
func meshbenchBinary(t *testing.T, l *lab.Lab) string {
	t.Helper()
	if p := filepath.Join(l.StateDir(), "bin", "meshbench"); fileExists(p) {
		return p
	}
	root, _ := lab.RepoRoot()
	exe := filepath.Join(t.TempDir(), "meshbench")
	build := exec.Command("go", "build", "-o", exe, "./cmd/meshbench")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building meshbench: %v\n%s", err, out)
	}
	return exe
}

// removeTestNode deletes the test node and its Lease.
func removeTestNode(cs kubernetes.Interface) {
	ctx := context.Background()
	_ = cs.CoordinationV1().Leases("kube-node-lease").Delete(ctx, testNodeName, metav1.DeleteOptions{})
	_ = cs.CoreV1().Nodes().Delete(ctx, testNodeName, metav1.DeleteOptions{})
}

// An agent that restarts takes its pods over: a pod that still exists keeps
// its address and runs again (a restart), a pod deleted while the agent was
// away loses its netns, veth and route; an agent that stops without
// LeavePods removes its pods from the host. Logs come through the
// apiserver from this agent's own kubelet API.
func TestAgentRestartTakesPodsOver(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)
	binary := meshbenchBinary(t, l)
	stateDir := t.TempDir()
	removeTestNode(cs)
	t.Cleanup(func() { removeTestNode(cs) })
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(filepath.Join(stateDir, "agent.log"))
			t.Logf("agent log:\n%s", b)
		}
	}()

	first := startTestAgent(t, l, stateDir, binary, true)
	waitFor(ctx, t, "the test node Ready", func() bool {
		n, err := cs.CoreV1().Nodes().Get(ctx, testNodeName, metav1.GetOptions{})
		if err != nil {
			return false
		}
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
				return true
			}
		}
		return false
	})
	// The Lease is renewed on its own tick, a moment after the Node's status.
	waitFor(ctx, t, "the test node's Lease", func() bool {
		_, err := cs.CoordinationV1().Leases("kube-node-lease").Get(ctx, testNodeName, metav1.GetOptions{})
		return err == nil
	})
	keep := create(ctx, t, cs, ns, servePod("keep", testNodeName))
	gone := create(ctx, t, cs, ns, servePod("gone", testNodeName))
	keep = waitPod(ctx, t, cs, ns, keep.Name, "Ready", runningReady)
	gone = waitPod(ctx, t, cs, ns, gone.Name, "Ready", runningReady)
	if !inCIDR(keep.Status.PodIP, testPodCIDR) || keep.Status.HostIP != testNodeIP {
		t.Fatalf("pod IP %s host IP %s: want an IP in %s on %s", keep.Status.PodIP, keep.Status.HostIP, testPodCIDR, testNodeIP)
	}
	out, err := logs(ctx, cs, ns, keep.Name, &corev1.PodLogOptions{})
	if err != nil || !strings.Contains(out, "listening on") {
		t.Fatalf("logs through the apiserver from the test agent: %q %v", out, err)
	}

	first.stop(t)
	// LeavePods: the pods still answer while no agent runs.
	if _, err := hostGet("http://" + keep.Status.PodIP + ":8080/healthz"); err != nil {
		t.Fatalf("pod left running by the stopped agent: %v", err)
	}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, gone.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, cs, ns, gone.Name)

	second := startTestAgent(t, l, stateDir, binary, false)
	stopped := false
	defer func() {
		if !stopped {
			second.stop(t)
		}
	}()
	waitFor(ctx, t, "the deleted pod's netns, veth and route to go", func() bool {
		netns, veth, route := hostObjects(t, string(gone.UID), gone.Status.PodIP)
		return !netns && !veth && !route
	})
	again := waitPod(ctx, t, cs, ns, keep.Name, "Ready again after a restart", func(p *corev1.Pod) bool {
		return runningReady(p) && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	if again.Status.PodIP != keep.Status.PodIP {
		t.Errorf("pod IP after the agent restarted: %s, want it kept (%s)", again.Status.PodIP, keep.Status.PodIP)
	}
	if _, err := hostGet("http://" + again.Status.PodIP + ":8080/healthz"); err != nil {
		t.Fatalf("pod after the agent restarted: %v", err)
	}

	second.stop(t)
	stopped = true
	netns, veth, route := hostObjects(t, string(keep.UID), keep.Status.PodIP)
	if netns || veth || route {
		t.Errorf("after the agent stopped without LeavePods: netns %v veth %v route %v; want none", netns, veth, route)
	}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, keep.Name, metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(0))}); err != nil && !apierrors.IsNotFound(err) {
		t.Fatal(err)
	}
}
