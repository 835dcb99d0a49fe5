package meshes

// Unit tests of enrolment logic against client-go's fake clientset. No mesh
// data plane can run here, so the pods below carry by hand what istio-cni and
// Linkerd's injector would give them.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/policies"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func ownNamespace(name string) *corev1.Namespace {
	ns := namespace(name)
	ns.Labels = map[string]string{policies.LabelManagedBy: policies.ManagedBy, policies.LabelRun: "r1"}
	return ns
}

func TestEnrol(t *testing.T) {
	ctx := context.Background()
	cs := fake.NewClientset(ownNamespace("bench"), namespace("theirs"))
	if err := Enrol(ctx, cs, "bench", IstioAmbient); err != nil {
		t.Fatal(err)
	}
	if err := Enrol(ctx, cs, "bench", Linkerd); err != nil {
		t.Fatal(err)
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, "bench", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ns.Labels[AmbientLabel] != "ambient" || ns.Annotations[LinkerdInject] != "enabled" {
		t.Errorf("labels %v annotations %v; want the ambient label and the inject annotation", ns.Labels, ns.Annotations)
	}
	if ns.Labels[policies.LabelRun] != "r1" || ns.Labels[policies.LabelManagedBy] != "meshbench" {
		t.Errorf("enrolment lost meshbench's labels: %v", ns.Labels)
	}
	// Someone else's namespace is not changed; the error says how to do it.
	err = Enrol(ctx, cs, "theirs", IstioAmbient)
	if err == nil || !strings.Contains(err.Error(), "kubectl label namespace theirs istio.io/dataplane-mode=ambient") {
		t.Errorf("Enrol(theirs) = %v; want a refusal with the kubectl command", err)
	}
	if ns, err = cs.CoreV1().Namespaces().Get(ctx, "theirs", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if len(ns.Labels) != 0 {
		t.Errorf("someone else's namespace changed: %v", ns.Labels)
	}
	// ... unless it is enrolled already.
	ns.Annotations = map[string]string{LinkerdInject: "enabled"}
	if _, err := cs.CoreV1().Namespaces().Update(ctx, ns, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := Enrol(ctx, cs, "theirs", Linkerd); err != nil {
		t.Errorf("Enrol(theirs, already enrolled) = %v", err)
	}
	for _, m := range []Mesh{None, Cilium, CiliumWireGuard} {
		if err := Enrol(ctx, cs, "theirs", m); err != nil {
			t.Errorf("Enrol(%s) = %v; nothing to do", m, err)
		}
	}
	if err := Enrol(ctx, cs, "missing", IstioAmbient); err == nil {
		t.Error("Enrol(missing namespace) succeeded")
	}
	if err := Enrol(ctx, cs, "bench", "consul"); err == nil {
		t.Error("Enrol(consul) succeeded")
	}
}

func pod(name string, annotations map[string]string, containers ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: name, Annotations: annotations}}
	for _, c := range containers {
		p.Spec.Containers = append(p.Spec.Containers, corev1.Container{Name: c, Image: "x"})
	}
	return p
}

func TestCheckEnrolled(t *testing.T) {
	ctx := context.Background()
	ambient := pod("ambient", map[string]string{AmbientRedirection: "enabled"}, "server")
	sidecar := pod("sidecar", nil, "server", LinkerdProxy)
	native := pod("native", nil, "server") // Linkerd as a native sidecar
	native.Spec.InitContainers = []corev1.Container{{Name: LinkerdProxy, Image: "x"}}
	plain := pod("plain", nil, "server")
	cs := fake.NewClientset(ambient, sidecar, native, plain)
	list := func(ps ...*corev1.Pod) []corev1.Pod {
		var out []corev1.Pod
		for _, p := range ps {
			out = append(out, corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: p.Namespace, Name: p.Name}})
		}
		return out
	}
	ok := []struct {
		m    Mesh
		pods []corev1.Pod
	}{
		{IstioAmbient, list(ambient)},
		{Linkerd, list(sidecar, native)},
		{None, list(plain)},
		{CiliumWireGuard, list(plain)},
	}
	for _, c := range ok {
		if err := CheckEnrolled(ctx, cs, c.pods, c.m); err != nil {
			t.Errorf("%s: %v", c.m, err)
		}
	}
	bad := []struct {
		m    Mesh
		pods []corev1.Pod
		want string
	}{
		{IstioAmbient, list(ambient, plain), "bench/plain: no annotation ambient.istio.io/redirection=enabled"},
		{Linkerd, list(plain, ambient), "2 pod(s) not enrolled in linkerd: bench/plain: no linkerd-proxy container"},
		{None, list(plain, sidecar), "bench/sidecar: has a linkerd-proxy"},
		{None, list(ambient), "bench/ambient: in Istio's ambient mesh"},
	}
	for _, c := range bad {
		err := CheckEnrolled(ctx, cs, c.pods, c.m)
		var ne *NotEnrolledError
		if !errors.As(err, &ne) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v; want a NotEnrolledError saying %q", c.m, err, c.want)
		}
	}
	// The pods are read afresh: a pod the mesh took in since counts.
	cur, err := cs.CoreV1().Pods("bench").Get(ctx, "plain", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cur.Annotations = map[string]string{AmbientRedirection: "enabled"}
	if _, err := cs.CoreV1().Pods("bench").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := CheckEnrolled(ctx, cs, list(plain), IstioAmbient); err != nil {
		t.Errorf("after istio-cni annotated the pod: %v", err)
	}
	if err := CheckEnrolled(ctx, cs, list(pod("gone", nil)), IstioAmbient); err == nil || errors.As(err, new(*NotEnrolledError)) {
		t.Errorf("missing pod: %v; want a read error", err)
	}
}

func TestParseMeshes(t *testing.T) {
	ms, err := ParseMeshes("none, istio-ambient,linkerd,cilium-wireguard")
	if err != nil || len(ms) != 4 || ms[1] != IstioAmbient {
		t.Errorf("ParseMeshes = %v, %v", ms, err)
	}
	for _, in := range []string{"", "none,none", "istio", "none,,linkerd"} {
		if _, err := ParseMeshes(in); err == nil {
			t.Errorf("ParseMeshes(%q) accepted", in)
		}
	}
}

func TestWaitEnrolled(t *testing.T) {
	ctx := context.Background()
	p := pod("late", nil, "server")
	cs := fake.NewClientset(p)
	pods := []corev1.Pod{*p}
	// Nothing annotates the pod: the wait ends with the reason.
	err := WaitEnrolled(ctx, cs, pods, IstioAmbient, 10*time.Millisecond, 50*time.Millisecond)
	var ne *NotEnrolledError
	if !errors.As(err, &ne) || !strings.Contains(err.Error(), "after 50ms") {
		t.Errorf("WaitEnrolled without a mesh = %v; want a NotEnrolledError after the timeout", err)
	}
	// istio-cni annotates the pod while the run waits.
	go func() {
		time.Sleep(30 * time.Millisecond)
		cur, err := cs.CoreV1().Pods("bench").Get(ctx, "late", metav1.GetOptions{})
		if err != nil {
			t.Error(err) // not Fatal: this is not the test's goroutine
			return
		}
		cur.Annotations = map[string]string{AmbientRedirection: AmbientRedirectionEnabled}
		if _, err := cs.CoreV1().Pods("bench").Update(ctx, cur, metav1.UpdateOptions{}); err != nil {
			t.Error(err)
		}
	}()
	if err := WaitEnrolled(ctx, cs, pods, IstioAmbient, 10*time.Millisecond, 5*time.Second); err != nil {
		t.Errorf("WaitEnrolled = %v; want the pod enrolled once annotated", err)
	}
}
