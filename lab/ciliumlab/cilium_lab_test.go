package ciliumlab_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/dynamic"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/meshes"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// A Cilium lab of two nodes: every node's cilium-agent answers healthy on
// its API socket; pods run with addresses from their node's pod CIDR and
// BPF programs attached to their node-side interface; detect finds Cilium
// with its version and refuses HTTP rules; NetworkPolicy and then
// CiliumNetworkPolicy deny all, admit the client, and keep the stranger
// out across nodes; `meshbench run` completes with both kinds, enforcement
// confirmed at every step; down leaves no link, chain, mount, pinned map or
// process of Cilium's anywhere.
func TestCiliumLab(t *testing.T) {
	runCiliumBefore := exists("/run/cilium")
	l, opts := startCiliumLab(t, 2)
	before := ciliumObjects(t, "/nonexistent-state-dir", runCiliumBefore)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	cs := labtest.Client(t, l)
	nodes := l.Nodes()

	for _, n := range nodes {
		state, msg, err := lab.CiliumAgentState(ctx, opts.StateDir, n.Name)
		if err != nil || state != "Ok" {
			t.Fatalf("cilium-agent of %s: state %q (%s), %v; want Ok over its API socket", n.Name, state, msg, err)
		}
	}

	dyn := dynamic.NewForConfigOrDie(labtest.RESTConfig(t, l))
	d, err := meshes.Detect(ctx, cs, dyn)
	if err != nil {
		t.Fatal(err)
	}
	if d.Cilium == nil || d.Cilium.Version != "v1.20.2" || d.CNI() != "cilium" {
		t.Errorf("detect on the Cilium lab: Cilium %+v, engines %q; want cilium v1.20.2", d.Cilium, d.CNI())
	}
	if err := d.Require(meshes.Cilium); err != nil {
		t.Errorf("detect: %v", err)
	}
	if err := d.RequireShape(policies.Cilium, policies.ShapeL7); err == nil {
		t.Error("detect: HTTP rules accepted on a Cilium without its L7 proxy")
	}

	ns := "cilium-" + fmt.Sprint(time.Now().UnixNano()%1_000_000)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the namespace's default ServiceAccount", func() bool {
		_, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	pods := map[string]*corev1.Pod{}
	for role, n := range map[string]lab.Node{"server": nodes[0], "client": nodes[1], "probe": nodes[1]} {
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, servePod(role, n.Name, map[string]string{"meshbench.io/role": role}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, role := range []string{"server", "client", "probe"} {
		p := labtest.WaitPodRunning(ctx, t, cs, ns, role)
		pods[role] = p
		n := nodeByName(nodes, p.Spec.NodeName)
		ip, err := netip.ParseAddr(p.Status.PodIP)
		if err != nil || !n.PodCIDR.Contains(ip) {
			t.Errorf("pod %s has address %s, not from its node %s's pod CIDR %s", role, p.Status.PodIP, n.Name, n.PodCIDR)
		}
		ifindex, name := hostInterface(t, p)
		if !strings.HasPrefix(name, "lxc") {
			t.Errorf("pod %s's node-side interface is %s, not one cilium-cni made (lxc…)", role, name)
		}
		if got := attachedPrograms(t, n.Netns(), ifindex); got == 0 {
			t.Errorf("pod %s: no BPF program attached to %s in %s", role, name, n.Name)
		}
	}

	url := fmt.Sprintf("http://%s:8080/healthz", pods["server"].Status.PodIP)
	client, probe := pods["client"], pods["probe"]
	waitFor(ctx, t, "client and probe to reach the server across nodes with no policy", func() bool {
		return reaches(ctx, client, url) && reaches(ctx, probe, url)
	})

	t.Run("NetworkPolicy", func(t *testing.T) {
		np := cs.NetworkingV1().NetworkPolicies(ns)
		enforce(ctx, t, client, probe, url, func(allow bool) {
			p := networkPolicy(allow)
			if _, err := np.Create(ctx, p, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		if err := np.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
		waitFor(ctx, t, "the probe to reach the server once the policies are gone", func() bool { return reaches(ctx, probe, url) })
	})

	t.Run("CiliumNetworkPolicy", func(t *testing.T) {
		cnp := dyn.Resource(schema.GroupVersionResource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}).Namespace(ns)
		enforce(ctx, t, client, probe, url, func(allow bool) {
			if _, err := cnp.Create(ctx, ciliumNetworkPolicy(allow), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		})
		if err := cnp.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{}); err != nil {
			t.Fatal(err)
		}
	})

	for _, kind := range []string{"cilium", "networkpolicy"} {
		t.Run("run --kind "+kind, func(t *testing.T) { runStudy(ctx, t, l, opts, kind) })
	}

	if err := lab.Down(ctx, opts); err != nil {
		t.Fatalf("down: %v", err)
	}
	if left := ciliumObjects(t, opts.StateDir, runCiliumBefore); len(left) > len(before) {
		t.Errorf("down left %d objects (%d before up): %v", len(left), len(before), left)
	}
}

// A Cilium lab whose every process is SIGKILLed (agents mid-flight, pods
// wired) is still removed whole by down.
func TestCiliumDownAfterSIGKILL(t *testing.T) {
	runCiliumBefore := exists("/run/cilium")
	before := ciliumObjects(t, "/nonexistent-state-dir", runCiliumBefore)
	l, opts := startCiliumLab(t, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cs := labtest.Client(t, l)
	if _, err := cs.CoreV1().Pods("default").Create(ctx, servePod("crash", l.Nodes()[0].Name, map[string]string{"app": "crash"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	labtest.WaitPodRunning(ctx, t, cs, "default", "crash")
	if up := ciliumObjects(t, opts.StateDir, runCiliumBefore); len(up) <= len(before) {
		t.Fatalf("the running lab shows no Cilium objects: the test would test nothing: %v", up)
	}
	killed := 0
	for _, o := range ciliumObjects(t, opts.StateDir, runCiliumBefore) {
		var pid int
		if _, err := fmt.Sscanf(o, "process %d", &pid); err == nil && syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	if killed < 6 { // etcd, apiserver, manager, scheduler, agent, kube-proxy, cilium-agent
		t.Fatalf("SIGKILLed %d lab processes, want every component", killed)
	}
	if err := lab.Down(ctx, opts); err != nil {
		t.Fatalf("down after SIGKILL: %v", err)
	}
	if left := ciliumObjects(t, opts.StateDir, runCiliumBefore); len(left) > len(before) {
		t.Errorf("down after SIGKILL left %v (before up: %v)", left, before)
	}
}

// enforce applies a deny-all for the server, checks that it blocks the
// client and the probe, then an allow for the client (create(false),
// create(true)) and checks the client is admitted while the probe stays out.
func enforce(ctx context.Context, t *testing.T, client, probe *corev1.Pod, url string, create func(allow bool)) {
	t.Helper()
	create(false)
	waitFor(ctx, t, "deny-all to block the client and the probe", func() bool {
		return !reaches(ctx, client, url) && !reaches(ctx, probe, url)
	})
	create(true)
	waitFor(ctx, t, "the allow to admit the client", func() bool { return reaches(ctx, client, url) })
	for range 5 {
		if reaches(ctx, probe, url) {
			t.Fatal("the probe, whose labels no policy allows, reached the server")
		}
	}
}

var serverSelector = map[string]string{"meshbench.io/role": "server"}

func networkPolicy(allow bool) *networkingv1.NetworkPolicy {
	p := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-all"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: serverSelector},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if allow {
		port := intstr.FromInt32(8080)
		p.Name = "allow-client"
		p.Spec.Ingress = []networkingv1.NetworkPolicyIngressRule{{
			From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"meshbench.io/role": "client"}}}},
			Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
		}}
	}
	return p
}

// ciliumNetworkPolicy is a deny-all for the server (an ingress section
// with one empty rule puts it in default deny) or an allow of the client
// on port 8080.
func ciliumNetworkPolicy(allow bool) *unstructured.Unstructured {
	name, ingress := "deny-all", []any{map[string]any{}}
	if allow {
		name = "allow-client"
		ingress = []any{map[string]any{
			"fromEndpoints": []any{map[string]any{"matchLabels": map[string]any{"meshbench.io/role": "client"}}},
			"toPorts":       []any{map[string]any{"ports": []any{map[string]any{"port": "8080", "protocol": "TCP"}}}},
		}}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "cilium.io/v2",
		"kind":       "CiliumNetworkPolicy",
		"metadata":   map[string]any{"name": name},
		"spec": map[string]any{
			"endpointSelector": map[string]any{"matchLabels": map[string]any{"meshbench.io/role": "server"}},
			"ingress":          ingress,
		},
	}}
}

// runStudy runs `meshbench run --kind kind --policies 0,100 --sizes .5k`
// on the lab and checks that every step was measured with its policies
// confirmed enforced, and that the results name Cilium and its version.
func runStudy(ctx context.Context, t *testing.T, l *lab.Lab, opts lab.Options, kind string) {
	path := filepath.Join(t.TempDir(), "run.json")
	cmd := exec.CommandContext(ctx, opts.Meshbench, "run", "--kubeconfig", l.Kubeconfig(), "--kind", kind,
		"--policies", "0,100", "--sizes", ".5k", "--requests", "300", "--rate", "100", "--warmup", "5",
		"--measure", "latency,datapath", "--results", path)
	// run reads the datapath of the lab at this state directory.
	cmd.Env = append(os.Environ(), "MESHBENCH_LAB_DIR="+opts.StateDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("meshbench run --kind %s: %v\n%s", kind, err, tail(out))
	}
	doc, err := results.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	steps := map[string]bool{}
	for _, c := range doc.Cells {
		steps[c.Step] = true
		if c.Enforcement != nil && !c.Enforcement.Enforced {
			t.Errorf("step %s: enforcement not confirmed: %+v", c.Step, c.Enforcement)
		}
		if c.Step != "0" && c.Arm == results.ArmTarget && c.Enforcement == nil {
			t.Errorf("step %s: the target's cell has no enforcement record", c.Step)
		}
	}
	if !steps["0"] || !steps["100"] {
		t.Errorf("steps measured %v, want 0 and 100", steps)
	}
	if doc.Cluster == nil || !strings.Contains(doc.Cluster.CNI, "cilium v1.20.2") {
		t.Errorf("results name the engine %+v, want cilium v1.20.2", doc.Cluster)
	}
	checkBPFWork(t, doc)
}

// checkBPFWork asserts the run's datapath figures on Cilium: the BPF
// programs on the target pod's interface ran for every new connection to
// it, in nanoseconds per run, and their work per new connection stays
// near-flat from 0 to 100 policies (Cilium looks the peer's identity up in
// the endpoint's policy map; kube-router's walk grows ten-fold over the
// same steps).
func checkBPFWork(t *testing.T, doc *results.Document) {
	t.Helper()
	rep, err := analysis.BuildReport([]analysis.Source{{Docs: []*results.Document{doc}}}, analysis.TableOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Datapath == nil {
		t.Fatalf("no datapath table; notes %v", doc.Notes)
	}
	perConn := map[int]float64{}
	for _, r := range rep.Datapath.Rows {
		t.Logf("step %s: %d connections to the target, BPF %.1f runs and %.0f ns per new connection (%.0f ns per run), softirq %.1f µs/conn, load1 %.2f",
			r.Step, r.TargetConnections, r.BPFRunsPerTargetConn, r.BPFNsPerTargetConn, r.BPFNsPerRun, r.SoftirqUs, r.Load1)
		if r.BPFRunsPerTargetConn < 1 || r.BPFNsPerRun <= 0 {
			t.Errorf("step %s: BPF %.2f runs per new connection to the target, %.0f ns per run; want every connection's packets to run the lxc programs", r.Step, r.BPFRunsPerTargetConn, r.BPFNsPerRun)
		}
		perConn[r.Policies] = r.BPFNsPerTargetConn
	}
	if perConn[0] <= 0 || perConn[100] <= 0 {
		t.Fatalf("BPF ns per new connection by policy count %v: want steps 0 and 100", perConn)
	}
	if perConn[100] > 2*perConn[0] {
		t.Errorf("BPF work per new connection %.0f ns at 100 policies, %.0f at 0: want near-flat (under 2x)", perConn[100], perConn[0])
	}
}

func tail(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

func nodeByName(nodes []lab.Node, name string) lab.Node {
	for _, n := range nodes {
		if n.Name == name {
			return n
		}
	}
	return lab.Node{}
}
