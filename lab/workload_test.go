package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/results"
)

// testNamespace creates a namespace of its own for the test and deletes it
// afterwards.
func testNamespace(ctx context.Context, t testing.TB, cs kubernetes.Interface) string {
	t.Helper()
	ns := fmt.Sprintf("labtest-%06x", rand.IntN(1<<24))
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name: ns, Labels: map[string]string{"app.kubernetes.io/managed-by": "meshbench"},
	}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The default ServiceAccount comes from kube-controller-manager; pods
	// are refused until it exists.
	for {
		if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "default", metav1.GetOptions{}); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("namespace %s got no default ServiceAccount", ns)
		case <-time.After(100 * time.Millisecond):
		}
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return ns
}

// A Deployment of one `meshbench serve` pod per node (required pod
// anti-affinity on kubernetes.io/hostname) spreads over the three nodes,
// every pod wired by the node's CNI plugin (ptp, recorded with the pod; its
// eth0 a veth whose node-side end lives in its node's namespace); a client
// pod on the first node running `meshbench load` reaches every pod by pod IP
// — two of them across nodes — and through their Service; the logs of a pod
// on every node, and the client's results, come back through the apiserver
// (kubectl logs).
func TestDeploymentAcrossNodesServiceAndLogs(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)
	nodes := l.Nodes()
	if len(nodes) < 3 {
		t.Fatalf("the tests' lab has %d nodes, want 3", len(nodes))
	}
	checkNodes(ctx, t, cs, nodes)

	labels := map[string]string{"app": "server"}
	replicas := int32(len(nodes))
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "server"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					Containers: []corev1.Container{serveContainer()},
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
							LabelSelector: &metav1.LabelSelector{MatchLabels: labels},
							TopologyKey:   "kubernetes.io/hostname",
						}},
					}},
				},
			},
		},
	}
	if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "server"},
		Spec: corev1.ServiceSpec{Selector: labels, Ports: []corev1.ServicePort{{
			Port: 8080, TargetPort: intstr.FromInt32(8080),
		}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}

	var pods []corev1.Pod
	waitFor(ctx, t, fmt.Sprintf("%d ready server pods with IPs", replicas), func() bool {
		list, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=server"})
		if err != nil {
			return false
		}
		pods = nil
		for _, p := range list.Items {
			if p.Status.PodIP != "" && podReady(&p) {
				pods = append(pods, p)
			}
		}
		return len(pods) == int(replicas)
	})
	byNode := map[string]corev1.Pod{}
	for _, p := range pods {
		byNode[p.Spec.NodeName] = p
	}
	for _, n := range nodes {
		p, ok := byNode[n.Name]
		if !ok {
			t.Fatalf("no server pod on node %s: the Deployment did not spread (%d pods on %d nodes)", n.Name, len(pods), len(byNode))
		}
		if !n.PodCIDR.Contains(netip.MustParseAddr(p.Status.PodIP)) || p.Status.HostIP != n.IP.String() {
			t.Errorf("pod %s on %s: IP %s host IP %s; want an IP in %s on %s", p.Name, n.Name, p.Status.PodIP, p.Status.HostIP, n.PodCIDR, n.IP)
		}
		checkWiredByCNI(t, l, n, &p)
		// The server logs "listening" as it starts; the pod turns Ready on
		// its probe, which need not wait for the line to reach the file.
		var out []byte
		var err error
		deadline := time.Now().Add(30 * time.Second)
		for {
			out, err = cs.CoreV1().Pods(ns).GetLogs(p.Name, &corev1.PodLogOptions{}).DoRaw(ctx)
			if (err == nil && bytes.Contains(out, []byte("listening"))) || time.Now().After(deadline) {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if err != nil || !bytes.Contains(out, []byte("listening")) {
			t.Errorf("logs of pod %s on %s through the apiserver: %q, %v", p.Name, n.Name, out, err)
		}
	}

	const requests = 10
	args := []string{"load", "--sizes", "100", "-n", fmt.Sprint(requests), "--warmup", "1", "--rounds", "1", "--rate", "50", "-o", "-",
		// kube-proxy writes a new Service's rules a moment after it exists.
		"--wait-reachable", "2m"}
	for _, n := range nodes {
		args = append(args, "-t", fmt.Sprintf("%s=http://%s:8080", n.Name, byNode[n.Name].Status.PodIP))
	}
	args = append(args, "-t", fmt.Sprintf("service=http://%s:8080", svc.Spec.ClusterIP))
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{
			NodeName:      nodes[0].Name,
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "load", Image: meshbenchImage, Args: args}},
		},
	}
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, client, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var phase corev1.PodPhase
	var last *corev1.Pod
	waitFor(ctx, t, "the client pod to finish", func() bool {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "client", metav1.GetOptions{})
		if err == nil {
			phase, last = p.Status.Phase, p
		}
		return phase == corev1.PodSucceeded || phase == corev1.PodFailed
	})
	logs, err := cs.CoreV1().Pods(ns).GetLogs("client", &corev1.PodLogOptions{Container: "load"}).DoRaw(ctx)
	if err != nil {
		t.Fatalf("GetLogs of the client pod: %v", err)
	}
	if phase != corev1.PodSucceeded {
		t.Fatalf("client pod %s (status %+v); its logs:\n%s", phase, last.Status.ContainerStatuses, logs)
	}
	start := bytes.IndexByte(logs, '{')
	if start < 0 {
		t.Fatalf("client logs hold no results document:\n%s", logs)
	}
	var doc results.Document
	if err := json.NewDecoder(bytes.NewReader(logs[start:])).Decode(&doc); err != nil {
		t.Fatalf("client logs: %v\n%s", err, logs)
	}
	reached := map[string]bool{}
	for _, c := range doc.Cells {
		if c.Latency == nil {
			continue
		}
		errs := 0
		for _, n := range c.Latency.Errors {
			errs += n
		}
		if errs > 0 || c.Latency.Requests != requests || len(c.Latency.SamplesNs) != requests {
			t.Errorf("target %s: %d requests, %d samples, errors %v; want %d clean", c.Arm, c.Latency.Requests, len(c.Latency.SamplesNs), c.Latency.Errors, requests)
			continue
		}
		reached[c.Arm] = true
	}
	for _, arm := range append(nodeNames(nodes), "service") {
		if !reached[arm] {
			t.Errorf("the client on %s did not reach %s; logs:\n%s", nodes[0].Name, arm, logs)
		}
	}
}

func nodeNames(nodes []lab.Node) []string {
	var out []string
	for _, n := range nodes {
		out = append(out, n.Name)
	}
	return out
}

// checkWiredByCNI asserts the pod's interface was made by the node's CNI
// plugin: the agent recorded the conflist's plugin type with the pod, the
// pod's eth0 is a veth holding its IP, and the node-side end CNI reported
// lives in the node's namespace, not the host's.
func checkWiredByCNI(t *testing.T, l *lab.Lab, n lab.Node, p *corev1.Pod) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(l.StateDir(), "nodes", n.Name, "pods", string(p.UID), "record.json"))
	if err != nil {
		t.Errorf("pod %s: no record on node %s: %v", p.Name, n.Name, err)
		return
	}
	var rec struct {
		CNIType  string `json:"cniType"`
		HostVeth string `json:"hostVeth"`
		IP       string `json:"ip"`
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if rec.CNIType != "ptp" || rec.IP != p.Status.PodIP || rec.HostVeth == "" {
		t.Errorf("pod %s record %s: want cniType ptp, its IP %s and a host veth", p.Name, b, p.Status.PodIP)
	}
	out, err := exec.Command("ip", "-n", netnsOf(p), "-d", "-o", "addr", "show", "dev", "eth0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), p.Status.PodIP+"/") {
		t.Errorf("pod %s eth0: %s %v; want it to hold %s", p.Name, out, err, p.Status.PodIP)
	}
	out, err = exec.Command("ip", "-n", netnsOf(p), "-d", "link", "show", "dev", "eth0").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "veth") {
		t.Errorf("pod %s eth0 is not a veth: %s %v", p.Name, out, err)
	}
	if out, err := exec.Command("ip", "-n", n.Name, "link", "show", "dev", rec.HostVeth).CombinedOutput(); err != nil {
		t.Errorf("pod %s: node-side veth %s not in %s's namespace: %s", p.Name, rec.HostVeth, n.Name, out)
	}
	if _, err := os.Stat("/sys/class/net/" + rec.HostVeth); err == nil {
		t.Errorf("pod %s: node-side veth %s is in the host's namespace", p.Name, rec.HostVeth)
	}
}

// kube-router enforces NetworkPolicies across nodes: with the server on one
// node and the client and probe on another, a deny-all on the server blocks
// the client, an allow for the client's labels and port admits it, and a
// pod without those labels stays blocked — enforced in the netfilter of the
// server's node, where kube-router wrote the server pod's firewall chain.
func TestNetworkPolicyEnforcedAcrossNodes(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)
	nodes := l.Nodes()
	if len(nodes) < 2 {
		t.Fatalf("the tests' lab has %d nodes, want 2 or more", len(nodes))
	}
	serverNode, clientNode := nodes[0], nodes[1]

	server, client, probe := startRolePods(ctx, t, cs, ns, serverNode.Name, clientNode.Name)
	if server.Spec.NodeName == client.Spec.NodeName || server.Spec.NodeName == probe.Spec.NodeName {
		t.Fatalf("server on %s, client on %s, probe on %s: want the server on a node of its own", server.Spec.NodeName, client.Spec.NodeName, probe.Spec.NodeName)
	}
	url := fmt.Sprintf("http://%s:8080/healthz", server.Status.PodIP)
	reaches := func(from *corev1.Pod) bool {
		code, err := getFromNetns(ctx, netnsOf(from), url, time.Second)
		return err == nil && code == 200
	}
	waitFor(ctx, t, "client and probe to reach the server with no policy", func() bool {
		return reaches(client) && reaches(probe)
	})

	denyAll := denyAllToServer()
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, denyAll, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "deny-all to block the client and the probe", func() bool {
		return !reaches(client) && !reaches(probe)
	})

	allow := allowClientToServer()
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, allow, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the allow to admit the client", func() bool { return reaches(client) })
	// The probe must stay blocked, not merely be blocked once.
	for range 5 {
		if reaches(probe) {
			t.Fatal("the probe, whose labels no policy allows, reached the server")
		}
	}
	// The server's node holds the server's pod firewall, with the client's
	// address admitted through an ipset; the client's node has no firewall
	// for the server.
	if !podFirewalled(t, serverNode.Name, server.Status.PodIP) {
		t.Errorf("the netfilter of the server's node %s has no pod firewall rule for %s", serverNode.Name, server.Status.PodIP)
	}
	if podFirewalled(t, clientNode.Name, server.Status.PodIP) {
		t.Errorf("the client's node %s firewalls the server %s, which runs on %s", clientNode.Name, server.Status.PodIP, serverNode.Name)
	}
}

// podFirewalled reports whether kube-router on node jumps traffic to ip into
// a pod firewall chain (KUBE-POD-FW-*), read with iptables-save in the
// node's namespace.
func podFirewalled(t *testing.T, node, ip string) bool {
	t.Helper()
	out, err := exec.Command("ip", "netns", "exec", node, "iptables-save", "-t", "filter").Output()
	if err != nil {
		t.Fatalf("iptables-save in %s: %v", node, err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, "-d "+ip+"/32") && strings.Contains(line, "KUBE-POD-FW-") {
			return true
		}
	}
	return false
}

// startRolePods starts a server pod on serverNode and a client and a probe
// pod on clientNode (each running `meshbench serve`, labelled by
// meshbench.io/role) and waits until they run.
func startRolePods(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, serverNode, clientNode string) (server, client, probe *corev1.Pod) {
	t.Helper()
	var out []*corev1.Pod
	for _, role := range []string{"server", "client", "probe"} {
		p := servePod(role, map[string]string{"meshbench.io/role": role})
		p.Spec.NodeName = clientNode
		if role == "server" {
			p.Spec.NodeName = serverNode
		}
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, role := range []string{"server", "client", "probe"} {
		out = append(out, labtest.WaitPodRunning(ctx, t, cs, ns, role))
	}
	return out[0], out[1], out[2]
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// waitFor polls cond every 100 ms until it holds or ctx ends.
func waitFor(ctx context.Context, t testing.TB, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}
