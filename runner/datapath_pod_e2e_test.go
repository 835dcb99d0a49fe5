package runner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// datapathPodWatch notes the datapath pod when the run says it follows
// its log, for the test to check where it ran.
type datapathPodWatch struct {
	t   *testing.T
	c   *cluster.Client
	ns  string
	pod *corev1.Pod
}

func (w *datapathPodWatch) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	w.t.Log(line)
	if strings.Contains(line, "following its log") {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		pod, err := w.c.Kube.CoreV1().Pods(w.ns).Get(ctx, cluster.DatapathPodName(1), metav1.GetOptions{})
		if err != nil {
			w.t.Errorf("datapath pod: %v", err)
		}
		w.pod = pod
	}
	return len(p), nil
}

// kubeRouterWork is kube-router's work in one step's datapath cell.
type kubeRouterWork struct {
	rules  int
	checks float64 // per new connection, all of kube-router's chains
	walk   float64 // per new connection to the target, its own chains
}

// kubeRouterSteps are the kube-router figures of a document by step; every
// datapath cell must hold the node's CPU, load and every connection.
func kubeRouterSteps(t *testing.T, via string, doc *results.Document, requests int) map[string]kubeRouterWork {
	t.Helper()
	out := map[string]kubeRouterWork{}
	for _, cell := range doc.Cells {
		d := cell.Datapath
		if d == nil {
			continue
		}
		if d.Connections < int64(2*requests) || d.CPU == nil || d.Load == nil || d.CPU.CPUs < 1 {
			t.Errorf("%s, step %s: %d connections, cpu %+v, load %+v: want every request's connection, the node's CPU and load", via, cell.Step, d.Connections, d.CPU, d.Load)
			continue
		}
		for _, e := range d.Engines {
			if e.Engine != "kube-router" {
				continue
			}
			w := kubeRouterWork{rules: e.Rules, checks: results.PerConnection(e.Evaluations, d.Connections),
				walk: results.PerConnection(e.SelectedEvaluations, d.TargetConnections)}
			out[cell.Step] = w
			t.Logf("%s, step %s: kube-router %d rules, %.1f checks per new connection, walk %.1f per target connection, %d connections (%d target), changed %d, window %s; softirq %.3f cores, load %+v; notes %q",
				via, cell.Step, w.rules, w.checks, w.walk, d.Connections, d.TargetConnections, d.Changed, d.Duration.Round(time.Millisecond), d.CPU.Softirq, *d.Load, d.Notes)
		}
	}
	return out
}

// --datapath-pod reads the target's node through a privileged hostNetwork
// pod on it instead of entering the node: the figures are there and
// plausible (kube-router's rules, checks per new connection, the policy
// walk of the ports shape, the node's CPU and load) and count the rules
// the lab's own path counts in the same study; the pod ran on the
// server's node in the node's network, and nothing of it is left after
// the run.
func TestRunDatapathPodReadsTheServersNode(t *testing.T) {
	c := labClient(t)
	study := func(pod bool) Config {
		cfg := smallConfig(t, 0, 50)
		cfg.Shapes = []policies.Shape{policies.ShapePorts}
		cfg.Placement = cluster.SameNode
		cfg.Measures = DefaultMeasures()
		cfg.Measures.Datapath = true
		cfg.Load = Load{Sizes: []string{".5k"}, Requests: 200, Rate: 100, Warmup: 10, Rounds: 1, Timeout: 5 * time.Second}
		cfg.EnforceTimeout = 2 * time.Minute
		cfg.NodeAccess = func(node string) (datapath.Node, error) { return lab.DatapathNode(lab.StateDirFromEnv(), node) }
		if pod {
			cfg.DatapathPod = true
			// The pod takes precedence over the lab's access.
			cfg.NodeAccess = func(string) (datapath.Node, error) { return nil, errors.New("the lab's access was used") }
		}
		return cfg
	}
	cfg := study(false)
	doc, err := Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run through the lab's netns: %v", err)
	}
	viaLab := kubeRouterSteps(t, "lab's netns", doc, cfg.Load.Requests)

	cfg = study(true)
	watch := &datapathPodWatch{t: t, c: c, ns: "meshbench-" + cfg.RunID}
	cfg.Log = watch
	doc, err = Run(context.Background(), c, cfg)
	if err != nil {
		t.Fatalf("run through the pod: %v", err)
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
	viaPod := kubeRouterSteps(t, "pod", doc, cfg.Load.Requests)
	if len(viaPod) != 2 || len(viaLab) != 2 {
		t.Fatalf("kube-router figures for steps %v through the pod, %v through the lab: want 0 and 50", viaPod, viaLab)
	}
	at0, at50 := viaPod["0"], viaPod["50"]
	if at50.rules <= at0.rules || at50.checks <= 0 {
		t.Errorf("kube-router rules %d at 0 policies, %d at 50, %.1f checks per new connection at 50: want more rules with the policies, and checks", at0.rules, at50.rules, at50.checks)
	}
	switch {
	case at50.rules < viaLab["50"].rules:
		// The pod's last sample comes up to a second after the client
		// finished (its 2 s linger included), and kube-router's rewrite on
		// the client pod's completion (the client's chain gone) may come
		// first: the rules counted at the end are then fewer.
		t.Logf("kube-router rewrote its rules before the pod's last sample at 50 policies: %d rules through the pod, %d through the netns",
			at50.rules, viaLab["50"].rules)
	case at50.rules != viaLab["50"].rules:
		t.Errorf("kube-router rules at 50 policies: %d through the pod, %d through the lab's netns: want the same", at50.rules, viaLab["50"].rules)
	}
	// The walk is counted per epoch of chain names and read during the
	// client's linger, before that rewrite: each ports decoy adds about 3
	// checks to it, and at least one each survives the rewrites of a window
	// read once a second.
	if at50.walk < 50 {
		t.Errorf("policy walk per new connection to the target at 50 ports policies: %.1f (%.1f through the lab's netns), want 50 or more", at50.walk, viaLab["50"].walk)
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

// The datapath pod and the lab's own entry into the node read the same
// node: the same rules in every table, the same CPUs. Both reads are
// retried a few times, as kube-router may be rewriting its rules.
func TestDatapathPodReadsWhatTheLabReads(t *testing.T) {
	c := labClient(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	runID := "e2e" + newTestID()
	ns := "meshbench-" + runID
	defer func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer ccancel()
		if _, err := c.DeleteRun(cctx, runID); err != nil {
			t.Error(err)
		}
	}()
	if _, err := c.EnsureNamespace(ctx, ns, runID); err != nil {
		t.Fatal(err)
	}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("nodes: %v", err)
	}
	name := nodes.Items[len(nodes.Items)-1].Name
	objs, err := cluster.ToUnstructured(cluster.Workload{Namespace: ns, RunID: runID}.DatapathAgent(cluster.DatapathPodName(1), name))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Apply(ctx, objs, cluster.ApplyOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.WaitReadyPod(ctx, ns, "name="+cluster.DatapathPodName(1), 2*time.Minute); err != nil {
		t.Fatal(err)
	}
	logs, err := c.FollowLogs(ctx, ns, cluster.DatapathPodName(1))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	viaPod := datapath.FollowAgent(name, logs, 10*time.Second)
	viaLab, err := lab.DatapathNode(lab.StateDirFromEnv(), name)
	if err != nil {
		t.Fatal(err)
	}
	all := func(string) bool { return true }
	var p, l *datapath.Snapshot
	for try := 0; try < 5; try++ {
		if p, err = datapath.Take(ctx, viaPod); err != nil {
			t.Fatalf("through the pod: %v", err)
		}
		if l, err = datapath.Take(ctx, viaLab); err != nil {
			t.Fatalf("through the lab: %v", err)
		}
		if len(p.Notes)+len(l.Notes) > 0 {
			t.Fatalf("notes: pod %q, lab %q", p.Notes, l.Notes)
		}
		if p.Rules.RuleCount(all) == l.Rules.RuleCount(all) {
			break
		}
	}
	t.Logf("node %s: %d rules (kube-router %d) in %d tables through the pod, %d through the lab; %d CPUs, load %.2f / %.2f",
		name, p.Rules.RuleCount(all), p.Rules.RuleCount(datapath.Engines[0].Owns), len(p.Rules.Tables), l.Rules.RuleCount(all), p.CPU.CPUs, p.Load1, l.Load1)
	if p.Rules.RuleCount(all) != l.Rules.RuleCount(all) || len(p.Rules.Tables) != len(l.Rules.Tables) {
		t.Errorf("rules: %d in %d tables through the pod, %d in %d through the lab", p.Rules.RuleCount(all), len(p.Rules.Tables), l.Rules.RuleCount(all), len(l.Rules.Tables))
	}
	if p.Rules.RuleCount(datapath.Engines[0].Owns) == 0 {
		t.Error("no kube-router rule through the pod")
	}
	if p.CPU.CPUs != l.CPU.CPUs || p.CPU.CPUs < 1 {
		t.Errorf("CPUs: %d through the pod, %d through the lab", p.CPU.CPUs, l.CPU.CPUs)
	}
}
