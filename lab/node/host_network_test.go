package node_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab/labtest"
)

// A hostNetwork pod runs in its node's own network namespace, with the
// node's address and no netns, veth or route of its own: the datapath
// agent in it saves the node's rules (kube-proxy's chains), which a pod's
// namespace does not have. Deleted, it goes like any pod.
func TestHostNetworkPodRunsInTheNodesNetwork(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	pod := commandPod("agent", corev1.RestartPolicyAlways, "datapath-agent", "--every", "200ms")
	pod.Spec.HostNetwork = true
	pod.Spec.Containers[0].SecurityContext = &corev1.SecurityContext{Privileged: ptr(true), RunAsUser: ptr(int64(0))}
	p := create(ctx, t, cs, ns, pod)
	p = labtest.WaitPod(ctx, t, cs, ns, p.Name, "Running and Ready with an IP", runningReady)
	n := labNode(t, l, p.Spec.NodeName)
	if p.Status.PodIP != n.IP.String() || p.Status.HostIP != n.IP.String() {
		t.Fatalf("pod IP %s host IP %s: want the node's address %s for both", p.Status.PodIP, p.Status.HostIP, n.IP)
	}
	if netns, _, _ := hostObjects(t, p.Spec.NodeName, string(p.UID), ""); netns {
		t.Fatal("a hostNetwork pod has a netns of its own")
	}

	var rules string
	waitFor(ctx, t, "a sample of the node's rules in the agent's log", func() bool {
		out, err := logs(ctx, cs, ns, p.Name, &corev1.PodLogOptions{TailLines: ptr(int64(1))})
		if err != nil {
			return false
		}
		var s datapath.AgentSample
		if json.Unmarshal([]byte(strings.TrimSpace(out)), &s) != nil || s.Seq == 0 {
			return false
		}
		b, err := s.Rules()
		if err != nil {
			t.Logf("sample %d: %v", s.Seq, err)
			return false
		}
		rules = string(b)
		return true
	})
	if !strings.Contains(rules, ":KUBE-") {
		t.Errorf("the agent's rules have no KUBE- chain: it did not run in the node's namespace:\n%.2000s", rules)
	}

	if err := cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, cs, ns, p.Name)
}
