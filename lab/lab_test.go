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
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

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
	hadHostInterface := linkExists(lab.HostInterface)
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
	if !hadHostInterface && linkExists(lab.HostInterface) {
		t.Errorf("refused up created %s", lab.HostInterface)
	}
	for _, bad := range []int{6, -1} {
		_, err := lab.Start(context.Background(), lab.Options{StateDir: stateDir, Nodes: bad})
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), "--nodes") {
			t.Errorf("Start with %d nodes: got %v, want a *PreflightError naming --nodes", bad, err)
		}
	}
	if _, err := os.Stat(stateDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused node count created the state dir %s", stateDir)
	}
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

// Up --nodes 1 gives a cluster client-go can use with a Ready node in a
// namespace of its own, its pod CIDR recorded; down leaves nothing of the lab
// on the host — processes, namespaces, links, routes, chains and ipsets
// counted before and after — and a second down is a no-op.
func TestUpThenDownLeavesNothing(t *testing.T) {
	labtest.Requirements(t)
	before := snapshot(t, "/nonexistent-state-dir")
	if len(before.netns)+len(before.links)+len(before.routes)+len(before.chains)+len(before.ipsets) > 0 {
		t.Fatalf("the host already holds lab objects before up: %+v", before)
	}
	l, opts := startLab(t, 1)
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
	if got := len(l.Nodes()); got != 1 {
		t.Fatalf("lab has %d nodes, want 1", got)
	}
	checkNodes(ctx, t, cs, l.Nodes())
	// A pod and a NetworkPolicy selecting it, so that the node holds a pod
	// namespace, a pod route and kube-router's ipsets for down to remove.
	pod := servePod("server", map[string]string{"app": "server"})
	if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labtest.WaitPodRunning(ctx, t, cs, "default", pod.Name)
	np := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "allow-client"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "server"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "client"}},
			}}}},
		},
	}
	if _, err := cs.NetworkingV1().NetworkPolicies("default").Create(ctx, np, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var up hostSnapshot
	waitFor(ctx, t, "kube-router's ipsets in the node", func() bool {
		up = snapshot(t, opts.StateDir)
		return len(up.ipsets) > 0
	})
	if len(up.chains) == 0 || len(up.routes) == 0 || len(up.netns) < 3 {
		t.Errorf("with the lab up: %d KUBE- chains, %d routes, netns %v; the snapshot would not see what down must remove", len(up.chains), len(up.routes), up.netns)
	}
	for _, c := range up.chains {
		if strings.HasPrefix(c, "- ") {
			t.Errorf("the lab wrote chain %q in the host's own netfilter; it belongs in the node's namespace", c)
		}
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
	assertClean(t, opts.StateDir, before.ipForward)
	for _, s := range lab.Status(ctx, opts) {
		if s.Healthy || len(s.PIDs) > 0 {
			t.Errorf("status after down: %s", s)
		}
	}
	if err := lab.Down(ctx, opts); err != nil {
		t.Fatalf("second down: %v", err)
	}
	assertClean(t, opts.StateDir, before.ipForward)
}

// checkNodes asserts every lab node is a Ready Node with its InternalIP and
// the pod CIDR the lab planned for it.
func checkNodes(ctx context.Context, t *testing.T, cs kubernetes.Interface, nodes []lab.Node) {
	t.Helper()
	for _, n := range nodes {
		node, err := cs.CoreV1().Nodes().Get(ctx, n.Name, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("get node %s: %v", n.Name, err)
		}
		if !nodeReady(node) {
			t.Errorf("node %s not Ready: %+v", node.Name, node.Status.Conditions)
		}
		if !hasAddress(node, n.IP.String()) {
			t.Errorf("node %s addresses %v lack InternalIP %s", n.Name, node.Status.Addresses, n.IP)
		}
		if node.Spec.PodCIDR != n.PodCIDR.String() {
			t.Errorf("node %s spec.podCIDR %q, want %s", n.Name, node.Spec.PodCIDR, n.PodCIDR)
		}
	}
}

// After SIGKILL of every lab process (a crash), down still removes
// everything of both nodes, the pods' network namespaces and processes
// included.
func TestDownAfterSIGKILLCleansUp(t *testing.T) {
	labtest.Requirements(t)
	before := snapshot(t, "/nonexistent-state-dir").ipForward
	l, opts := startLab(t, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cs := labtest.Client(t, l)

	pod := servePod("crash", map[string]string{"app": "crash"})
	if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	running := labtest.WaitPodRunning(ctx, t, cs, "default", pod.Name)
	podPIDs := netnsPIDs(t, netnsOf(running))
	if len(podPIDs) == 0 {
		t.Fatalf("pod %s runs no process in its netns %s", pod.Name, netnsOf(running))
	}

	if want := 4 + 3*len(l.Nodes()); killAll(t, opts.StateDir) < want {
		t.Fatalf("SIGKILLed fewer lab processes than the %d components", want)
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
