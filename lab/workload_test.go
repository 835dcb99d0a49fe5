package lab_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

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

// A Deployment of two `meshbench serve` pods becomes Ready with pod IPs; a
// client pod running `meshbench load` reaches both by pod IP and through
// their Service; its output comes back through the apiserver (GetLogs).
func TestDeploymentServiceAndLogs(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	labels := map[string]string{"app": "server"}
	replicas := int32(2)
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "server"},
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{serveContainer()}},
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
	waitFor(ctx, t, "2 ready server pods with IPs", func() bool {
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
		return len(pods) == 2
	})
	waitFor(ctx, t, "the Deployment available", func() bool {
		d, err := cs.AppsV1().Deployments(ns).Get(ctx, "server", metav1.GetOptions{})
		return err == nil && d.Status.AvailableReplicas == 2
	})
	if pods[0].Status.PodIP == pods[1].Status.PodIP {
		t.Fatalf("both pods have IP %s", pods[0].Status.PodIP)
	}

	// kube-proxy programs the Service a moment after its endpoints exist;
	// the client below waits for that (--wait-reachable).

	const requests = 10
	args := []string{"load", "--sizes", "100", "-n", fmt.Sprint(requests), "--warmup", "1", "--rounds", "1", "--rate", "50", "-o", "-",
		// kube-proxy writes a new Service's rules a moment after it exists.
		"--wait-reachable", "2m"}
	for i, p := range pods {
		args = append(args, "-t", fmt.Sprintf("pod%d=http://%s:8080", i, p.Status.PodIP))
	}
	args = append(args, "-t", fmt.Sprintf("service=http://%s:8080", svc.Spec.ClusterIP))
	client := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "client"},
		Spec: corev1.PodSpec{
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
	for _, arm := range []string{"pod0", "pod1", "service"} {
		if !reached[arm] {
			t.Errorf("the client did not reach %s; logs:\n%s", arm, logs)
		}
	}
}

// kube-router enforces NetworkPolicies: a deny-all on the server blocks the
// client, an allow for the client's labels and port admits it, and a pod
// without those labels stays blocked.
func TestNetworkPolicyEnforced(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	server, client, probe := startRolePods(ctx, t, cs, ns)
	url := fmt.Sprintf("http://%s:8080/healthz", server.Status.PodIP)
	reaches := func(from *corev1.Pod) bool {
		code, err := getFromNetns(ctx, netnsOf(from), url, time.Second)
		return err == nil && code == 200
	}
	waitFor(ctx, t, "client and probe to reach the server with no policy", func() bool {
		return reaches(client) && reaches(probe)
	})

	denyAll := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-all"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"meshbench.io/role": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, denyAll, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "deny-all to block the client and the probe", func() bool {
		return !reaches(client) && !reaches(probe)
	})

	port := intstr.FromInt32(8080)
	allow := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "allow-client"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"meshbench.io/role": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"meshbench.io/role": "client"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
			}},
		},
	}
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
}

// startRolePods starts a server, a client and a probe pod (each running
// `meshbench serve`, labelled by meshbench.io/role) and waits until they run.
func startRolePods(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns string) (server, client, probe *corev1.Pod) {
	t.Helper()
	var out []*corev1.Pod
	for _, role := range []string{"server", "client", "probe"} {
		p := servePod(role, map[string]string{"meshbench.io/role": role})
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, role := range []string{"server", "client", "probe"} {
		out = append(out, waitPodRunning(ctx, t, cs, ns, role))
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
