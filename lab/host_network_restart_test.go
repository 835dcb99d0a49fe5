package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/lab/labtest"
)

// A node agent that crashes and restarts kills what the previous agent
// left running of its hostNetwork pods, which no netns of their own finds:
// a pod that still exists starts again (a restart, one process, the node's
// address), one deleted meanwhile leaves no process behind.
func TestAgentRestartKillsHostNetworkProcesses(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)
	nodes := l.Nodes()
	node := nodes[len(nodes)-1]

	pods := map[string]*corev1.Pod{}
	for i, name := range []string{"keep", "gone"} {
		p := servePod(name, map[string]string{"app": name})
		p.Spec.NodeName, p.Spec.HostNetwork = node.Name, true
		port := fmt.Sprint(18080 + i)
		p.Spec.Containers[0].Args = []string{"serve", "--port", port}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		pods[name] = labtest.WaitPodRunning(ctx, t, cs, ns, name)
		if pods[name].Status.PodIP != node.IP.String() {
			t.Fatalf("hostNetwork pod %s has IP %s, want the node's %s", name, pods[name].Status.PodIP, node.IP)
		}
		waitFor(ctx, t, name+" to answer on the node's address", func() bool {
			return get("http://"+node.IP.String()+":"+port+"/healthz") == nil
		})
	}
	before := map[string][]int{}
	for name, p := range pods {
		before[name] = hostGroupsOf(t, l.StateDir(), node.Name, p)
	}

	if err := l.KillAgent(ctx, node.Name); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(l.AgentLog(node.Name))
			t.Logf("agent log:\n%s", b[max(0, len(b)-4000):])
		}
	}()
	zero := int64(0)
	if err := cs.CoreV1().Pods(ns).Delete(ctx, "gone", metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
		t.Fatal(err)
	}
	for name, groups := range before {
		if len(groups) != 1 || !alive(groups[0]) {
			t.Fatalf("%s's recorded process groups %v: want one, alive while no agent runs", name, groups)
		}
	}
	if err := l.StartAgent(node.Name); err != nil {
		t.Fatal(err)
	}

	waitFor(ctx, t, "the deleted hostNetwork pod's process to go", func() bool { return !alive(before["gone"][0]) })
	waitFor(ctx, t, "the kept hostNetwork pod Ready again after a restart", func() bool {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "keep", metav1.GetOptions{})
		return err == nil && podReady(p) && len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 1
	})
	if alive(before["keep"][0]) {
		t.Errorf("the kept pod's old process %d still runs beside the new one", before["keep"][0])
	}
	if now := hostGroupsOf(t, l.StateDir(), node.Name, pods["keep"]); len(now) != 1 || now[0] == before["keep"][0] || !alive(now[0]) {
		t.Errorf("the kept pod's process groups %v after the restart (before %v): want one new, alive", now, before["keep"])
	}
	waitFor(ctx, t, "the restarted pod to answer", func() bool { return get("http://"+node.IP.String()+":18080/healthz") == nil })
}

// hostGroupsOf are the process groups the agent recorded for a hostNetwork pod.
func hostGroupsOf(t *testing.T, stateDir, node string, p *corev1.Pod) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(stateDir, "nodes", node, "pods", string(p.UID), "record.json"))
	if err != nil {
		t.Fatalf("pod %s record: %v", p.Name, err)
	}
	var rec struct {
		HostNetwork bool  `json:"hostNetwork"`
		HostGroups  []int `json:"hostGroups"`
	}
	if err := json.Unmarshal(b, &rec); err != nil || !rec.HostNetwork {
		t.Fatalf("pod %s record %s: %v", p.Name, b, err)
	}
	return rec.HostGroups
}

// alive reports whether a process runs (a zombie counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command's closing parenthesis.
	for i := len(b) - 1; i > 0; i-- {
		if b[i] == ')' && i+2 < len(b) {
			return b[i+2] != 'Z'
		}
	}
	return true
}
