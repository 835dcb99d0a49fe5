package runner

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/results"
)

// datapathPodWatch looks at the datapath pod and at the node through the
// lab's own access when the run says the pod is followed, for the test to
// compare both paths and check where the pod ran.
type datapathPodWatch struct {
	t    *testing.T
	c    *cluster.Client
	ns   string
	mu   sync.Mutex
	pod  *corev1.Pod
	labs []int // kube-router's rules read through the lab's netns, per measuring line
}

func (w *datapathPodWatch) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	w.t.Log(line)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	if strings.Contains(line, "following its log") {
		pod, err := w.c.Kube.CoreV1().Pods(w.ns).Get(ctx, cluster.DatapathPodName(1), metav1.GetOptions{})
		if err != nil {
			w.t.Errorf("datapath pod: %v", err)
		}
		w.pod = pod
	}
	if strings.Contains(line, "measuring for") && w.pod != nil {
		node, err := lab.DatapathNode(lab.StateDirFromEnv(), w.pod.Spec.NodeName)
		if err == nil {
			var s *datapath.Snapshot
			if s, err = datapath.Take(ctx, node); err == nil && s.Rules != nil {
				w.labs = append(w.labs, s.Rules.RuleCount(datapath.Engines[0].Owns))
			}
		}
		if err != nil {
			w.t.Errorf("lab's own read of node %s: %v", w.pod.Spec.NodeName, err)
		}
	}
	return len(p), nil
}

// --datapath-pod reads the target's node through a privileged hostNetwork
// pod on it instead of entering the node: the figures are there and
// plausible (kube-router's rules, checks per new connection growing with
// the policies, the node's CPU and load), the rules it counts are those
// the lab's own path counts, the pod ran on the server's node in the
// node's network, and nothing of it is left after the run.
func TestRunDatapathPodReadsTheServersNode(t *testing.T) {
	c := labClient(t)
	cfg := smallConfig(t, 0, 50)
	cfg.Placement = cluster.SameNode
	cfg.Measures = DefaultMeasures()
	cfg.Measures.Datapath = true
	cfg.Load = Load{Sizes: []string{".5k"}, Requests: 200, Rate: 100, Warmup: 10, Rounds: 1, Timeout: 5 * time.Second}
	cfg.EnforceTimeout = 2 * time.Minute
	cfg.DatapathPod = true
	// The pod takes precedence over the lab's access, which the watch uses.
	cfg.NodeAccess = func(string) (datapath.Node, error) { return nil, errors.New("the lab's access was used") }
	watch := &datapathPodWatch{t: t, c: c, ns: "meshbench-" + cfg.RunID}
	cfg.Log = watch
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}

	if watch.pod == nil {
		t.Fatal("the run never said it follows the datapath pod's log")
	}
	server := ""
	for _, cell := range doc.Cells {
		if cell.Arm == results.ArmTarget {
			server = cell.ServerNode
		}
	}
	p := watch.pod
	if p.Spec.NodeName != server || !p.Spec.HostNetwork || p.Status.PodIP != p.Status.HostIP {
		t.Errorf("datapath pod on node %s (server on %s), hostNetwork %v, pod IP %s host IP %s: want the server's node, in its network",
			p.Spec.NodeName, server, p.Spec.HostNetwork, p.Status.PodIP, p.Status.HostIP)
	}
	if !slicesContain(doc.Notes, "read through pod") {
		t.Errorf("notes %q: want one saying the node was read through the pod", doc.Notes)
	}

	checks := map[string]float64{}
	rules := map[string]int{}
	for _, cell := range doc.Cells {
		d := cell.Datapath
		if d == nil {
			continue
		}
		for _, e := range d.Engines {
			if e.Engine == "kube-router" {
				checks[cell.Step] = results.PerConnection(e.Evaluations, d.Connections)
				rules[cell.Step] = e.Rules
				t.Logf("step %s via pod: kube-router %d rules, %.1f checks per new connection, walk %.1f per target connection, %d connections (%d target), changed %d, window %s; softirq %.3f cores, load %+v; notes %q",
					cell.Step, e.Rules, checks[cell.Step], results.PerConnection(e.SelectedEvaluations, d.TargetConnections),
					d.Connections, d.TargetConnections, d.Changed, d.Duration.Round(time.Millisecond), d.CPU.Softirq, *d.Load, d.Notes)
			}
		}
		if d.Connections < int64(2*cfg.Load.Requests) || d.CPU == nil || d.Load == nil || d.CPU.CPUs < 1 {
			t.Errorf("step %s: %d connections, cpu %+v, load %+v: want every request's connection, the node's CPU and load", cell.Step, d.Connections, d.CPU, d.Load)
		}
	}
	if len(checks) != 2 {
		t.Fatalf("kube-router figures for steps %v: want 0 and 50", checks)
	}
	if rules["50"] <= 0 || checks["50"] <= 0 || checks["50"] <= checks["0"] {
		t.Errorf("50 policies: %d rules, %.1f checks per new connection (%.1f at 0): want rules, and more checks than without policies", rules["50"], checks["50"], checks["0"])
	}
	t.Logf("kube-router rules through the lab's netns at the measuring lines: %v; through the pod: %v", watch.labs, rules)
	// The pod starts in step 0's window: the lab's read is step 50's.
	if len(watch.labs) != 1 || watch.labs[0] != rules["50"] {
		t.Errorf("kube-router rules at 50 policies: %d through the pod, %v through the lab's netns: want the same", rules["50"], watch.labs)
	}

	if _, err := c.Kube.CoreV1().Pods(p.Namespace).Get(context.Background(), p.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("datapath pod after the run: %v, want not found", err)
	}
	assertNothingLeft(t, c, cfg.RunID)
}

// A run cancelled while the datapath pod runs (Ctrl-C) removes it with
// everything else.
func TestRunDatapathPodGoneAfterCancel(t *testing.T) {
	c := labClient(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := smallConfig(t, 0)
	cfg.Measures = DefaultMeasures()
	cfg.Measures.Datapath = true
	cfg.DatapathPod = true
	cfg.Log = cancelOn{t: t, text: "following its log", cancel: cancel}
	_, err := Run(ctx, c, cfg)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("run: %v, want cancelled", err)
	}
	pods, err := c.Kube.CoreV1().Pods("meshbench-"+cfg.RunID).List(context.Background(), metav1.ListOptions{})
	if err == nil && len(pods.Items) > 0 {
		t.Errorf("pods left: %d", len(pods.Items))
	}
	assertNothingLeft(t, c, cfg.RunID)
}

func slicesContain(notes []string, part string) bool {
	for _, n := range notes {
		if strings.Contains(n, part) {
			return true
		}
	}
	return false
}
