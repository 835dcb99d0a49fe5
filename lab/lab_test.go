package lab_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// A taken port and missing binaries are bad input: up names the port and its
// holder and says to run make lab, and creates nothing.
func TestUpRefusesTakenPortAndMissingBinaries(t *testing.T) {
	if os.Geteuid() == 0 {
		// Holding the apiserver's port must not break another process's lab.
		labtest.Lock(t)
	}
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", lab.APIServerPort))
	if err != nil {
		t.Skipf("port %d is already taken here (a lab running?): %v", lab.APIServerPort, err)
	}
	defer ln.Close()
	hadNodeInterface := linkExists(lab.NodeInterface)
	stateDir := filepath.Join(t.TempDir(), "state")
	_, err = lab.Start(context.Background(), lab.Options{StateDir: stateDir, BinDir: t.TempDir(), Meshbench: "/nonexistent/meshbench"})
	var pe *lab.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("Start with port %d taken: got %v, want a *PreflightError", lab.APIServerPort, err)
	}
	msg := err.Error()
	self := filepath.Base(os.Args[0])
	for _, want := range []string{
		fmt.Sprintf("port %d (kube-apiserver) is taken by %s", lab.APIServerPort, self[:min(len(self), 15)]),
		"kube-apiserver", "run make lab",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not say %q", msg, want)
		}
	}
	if _, err := os.Stat(stateDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("refused up created its state dir %s", stateDir)
	}
	if !hadNodeInterface && linkExists(lab.NodeInterface) {
		t.Errorf("refused up created %s", lab.NodeInterface)
	}
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

// Up gives a cluster client-go can use with a Ready node; down leaves
// nothing of the lab on the host, and a second down is a no-op.
func TestUpThenDownLeavesNothing(t *testing.T) {
	labtest.Requirements(t)
	before := snapshot(t, "/nonexistent-state-dir").ipForward
	l, opts := startLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	cs := labtest.Client(t, l)
	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatalf("server version: %v", err)
	}
	if !strings.HasPrefix(v.GitVersion, "v1.36.") {
		t.Errorf("kube-apiserver %s, want v1.36.x", v.GitVersion)
	}
	node, err := cs.CoreV1().Nodes().Get(ctx, lab.NodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node: %v", err)
	}
	if !nodeReady(node) {
		t.Errorf("node %s not Ready: %+v", node.Name, node.Status.Conditions)
	}
	if !hasAddress(node, lab.NodeIP) {
		t.Errorf("node addresses %v lack InternalIP %s", node.Status.Addresses, lab.NodeIP)
	}
	if _, err := cs.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{}); err != nil {
		t.Errorf("default ServiceAccount: %v", err)
	}
	for _, s := range lab.Status(ctx, opts) {
		if !s.Healthy || len(s.PIDs) == 0 {
			t.Errorf("status after up: %s", s)
		}
	}
	if _, err := os.Stat(l.Kubeconfig()); err != nil || l.Kubeconfig() != lab.KubeconfigPath(opts.StateDir) {
		t.Errorf("kubeconfig %s: %v", l.Kubeconfig(), err)
	}

	if err := l.Stop(ctx); err != nil {
		t.Fatalf("down: %v", err)
	}
	assertClean(t, opts.StateDir, before)
	for _, s := range lab.Status(ctx, opts) {
		if s.Healthy || len(s.PIDs) > 0 {
			t.Errorf("status after down: %s", s)
		}
	}
	if err := lab.Down(ctx, opts); err != nil {
		t.Fatalf("second down: %v", err)
	}
	assertClean(t, opts.StateDir, before)
}

// After SIGKILL of every lab process (a crash), down still removes
// everything, the pods' network namespaces and processes included.
func TestDownAfterSIGKILLCleansUp(t *testing.T) {
	labtest.Requirements(t)
	before := snapshot(t, "/nonexistent-state-dir").ipForward
	l, opts := startLab(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cs := labtest.Client(t, l)

	pod := servePod("crash", map[string]string{"app": "crash"})
	if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	running := waitPodRunning(ctx, t, cs, "default", pod.Name)
	podPIDs := netnsPIDs(t, netnsOf(running))
	if len(podPIDs) == 0 {
		t.Fatalf("pod %s runs no process in its netns %s", pod.Name, netnsOf(running))
	}

	if n := killAll(t, opts.StateDir); n < 7 {
		t.Fatalf("SIGKILLed %d lab processes, want all 7 components", n)
	}
	if len(pidFiles(t, opts.StateDir)) == 0 {
		t.Fatal("pid files gone before down: the crash test tests nothing")
	}
	if err := lab.Down(ctx, opts); err != nil {
		t.Fatalf("down after SIGKILL: %v", err)
	}
	assertClean(t, opts.StateDir, before)
	for _, pid := range podPIDs {
		if processAlive(pid) {
			t.Errorf("pod process %d survived down", pid)
		}
	}
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func hasAddress(n *corev1.Node, ip string) bool {
	for _, a := range n.Status.Addresses {
		if a.Type == corev1.NodeInternalIP && a.Address == ip {
			return true
		}
	}
	return false
}
