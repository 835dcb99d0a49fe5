package lab_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// A node agent that crashes and restarts finds its pods again: a pod that
// still exists passes CNI CHECK and keeps its namespace (the same one, not
// recreated), address and node-side veth while its containers start again
// (a restart); a pod deleted while the agent was away is unwired (CNI DEL)
// and its namespace removed. The pods keep answering while no agent runs.
func TestAgentRestartFindsItsPodsByCNICheck(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)
	nodes := l.Nodes()
	node := nodes[len(nodes)-1]

	var keep, gone *corev1.Pod
	for _, name := range []string{"keep", "gone"} {
		p := servePod(name, map[string]string{"app": name})
		p.Spec.NodeName = node.Name
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	keep = labtest.WaitPodRunning(ctx, t, cs, ns, "keep")
	gone = labtest.WaitPodRunning(ctx, t, cs, ns, "gone")
	url := "http://" + keep.Status.PodIP + ":8080/healthz"
	waitFor(ctx, t, "the kept pod to answer", func() bool { return get(url) == nil })
	inode, err := nsnet.Inode(netnsOf(keep))
	if err != nil {
		t.Fatal(err)
	}
	veth := hostVethOf(t, l.StateDir(), node.Name, keep)

	if err := l.KillAgent(ctx, node.Name); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(l.AgentLog(node.Name))
			t.Logf("agent log:\n%s", b[max(0, len(b)-4000):])
		}
	}()
	if err := get(url); err != nil {
		t.Fatalf("the pod stopped answering when its agent crashed: %v", err)
	}
	zero := int64(0)
	if err := cs.CoreV1().Pods(ns).Delete(ctx, gone.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	if !nsnet.Exists(netnsOf(gone)) {
		t.Fatal("the deleted pod's netns went with no agent running: the test tests nothing")
	}
	if err := l.StartAgent(node.Name); err != nil {
		t.Fatal(err)
	}

	waitFor(ctx, t, "the deleted pod's netns to go", func() bool { return !nsnet.Exists(netnsOf(gone)) })
	var again *corev1.Pod
	waitFor(ctx, t, "the kept pod Ready again after a restart", func() bool {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, keep.Name, metav1.GetOptions{})
		if err != nil || !podReady(p) || len(p.Status.ContainerStatuses) == 0 {
			return false
		}
		again = p
		return p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	if again.Status.PodIP != keep.Status.PodIP {
		t.Errorf("pod IP after the agent restarted: %s, want it kept (%s)", again.Status.PodIP, keep.Status.PodIP)
	}
	if now, err := nsnet.Inode(netnsOf(keep)); err != nil || now != inode {
		t.Errorf("the kept pod's netns inode %d (%v), was %d: it was recreated", now, err, inode)
	}
	if now := hostVethOf(t, l.StateDir(), node.Name, keep); now != veth || !nsnet.LinkExists(node.Name, veth) {
		t.Errorf("the kept pod's node-side veth %q (exists %v), was %q", now, nsnet.LinkExists(node.Name, veth), veth)
	}
	waitFor(ctx, t, "the restarted pod to answer", func() bool { return get(url) == nil })
	b, _ := os.ReadFile(l.AgentLog(node.Name))
	if !strings.Contains(string(b), "CNI CHECK passed") || !strings.Contains(string(b), ns+"/keep") {
		t.Errorf("the agent's log does not say CNI CHECK passed for %s/keep", ns)
	}
}

// hostVethOf is the node-side veth CNI reported for the pod, from the
// agent's record of it.
func hostVethOf(t *testing.T, stateDir, node string, p *corev1.Pod) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, "nodes", node, "pods", string(p.UID), "record.json"))
	if err != nil {
		t.Fatalf("pod %s record: %v", p.Name, err)
	}
	var rec struct {
		HostVeth string `json:"hostVeth"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || rec.HostVeth == "" {
		t.Fatalf("pod %s record %s: %v", p.Name, b, err)
	}
	return rec.HostVeth
}

// get makes one GET from the host (routed to the pod's node) on a new
// connection.
func get(url string) error {
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return &httpError{resp.Status}
	}
	return nil
}

type httpError struct{ status string }

func (e *httpError) Error() string { return "HTTP " + e.status }
