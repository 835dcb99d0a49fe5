package meshes

// Tests against the lab's real kube-apiserver. The objects created here are
// the control-plane objects each mesh and CNI installs (Deployments,
// DaemonSets, ConfigMaps) with their pods kept off the node: there is no mesh
// data plane in the lab, so detection reads what a real installation shows the
// API, and enrolment must be found missing.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/policies"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

func TestMain(m *testing.M) { os.Exit(labtest.Main(m)) }

// install creates objs in the lab, labelled as this test's, and removes them
// when the test ends. Objects that exist already and are not meshbench's make
// the test fail: it never touches what it did not create.
func install(t *testing.T, cs kubernetes.Interface, runID string, objs ...runtime.Object) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		m, _ := o.(metav1.Object)
		labels := m.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[policies.LabelManagedBy] = policies.ManagedBy
		labels[policies.LabelRun] = runID
		m.SetLabels(labels)
		var err error
		var del func() error
		switch o := o.(type) {
		case *corev1.Namespace:
			_, err = cs.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return cs.CoreV1().Namespaces().Delete(context.Background(), o.Name, metav1.DeleteOptions{})
			}
		case *appsv1.Deployment:
			_, err = cs.AppsV1().Deployments(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return cs.AppsV1().Deployments(o.Namespace).Delete(context.Background(), o.Name, metav1.DeleteOptions{})
			}
		case *appsv1.DaemonSet:
			_, err = cs.AppsV1().DaemonSets(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return cs.AppsV1().DaemonSets(o.Namespace).Delete(context.Background(), o.Name, metav1.DeleteOptions{})
			}
		case *corev1.ConfigMap:
			_, err = cs.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
			del = func() error {
				return cs.CoreV1().ConfigMaps(o.Namespace).Delete(context.Background(), o.Name, metav1.DeleteOptions{})
			}
		default:
			t.Fatalf("install: %T", o)
		}
		if err != nil {
			t.Fatalf("creating %T %s: %v", o, m.GetName(), err)
		}
		t.Cleanup(func() {
			if err := del(); err != nil && !apierrors.IsNotFound(err) {
				t.Errorf("removing %s: %v", m.GetName(), err)
			}
		})
	}
}

func labClients(t *testing.T) (kubernetes.Interface, dynamic.Interface) {
	l := labtest.Up(t)
	return labtest.Client(t, l), dynamic.NewForConfigOrDie(labtest.RESTConfig(t, l))
}

func runID(prefix string) string { return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()) }

func TestDetectOnTheLab(t *testing.T) {
	cs, dyn := labClients(t)
	ctx := context.Background()

	// Before: the lab runs no mesh.
	before, err := Detect(ctx, cs, dyn)
	if err != nil {
		t.Fatal(err)
	}
	if before.Istio != nil || before.Linkerd != nil || before.Cilium != nil {
		t.Fatalf("the lab shows a mesh before any was installed:\n%s", before)
	}
	// The lab's own engine: kube-router, recognised by the lab's Node.
	if before.CNI() != LabPolicyEngine || before.PolicyEngines[0].Settings["lab"] != "meshbench-lab" {
		t.Errorf("policy engines on the lab: %+v; want the lab's kube-router", before.PolicyEngines)
	}
	if err := before.Require(IstioAmbient); err == nil {
		t.Error("Require(istio-ambient) passed on a lab without Istio")
	}

	id := runID("detect")
	install(t, cs, id, objects(istioAmbientObjects(), linkerdObjects(),
		ciliumObjects(map[string]string{"enable-wireguard": "true", "kube-proxy-replacement": "false"}))...)

	d, err := Detect(ctx, cs, dyn)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("detected on the lab:\n%s\nnotes: %q", d, d.Notes)
	for _, m := range []Mesh{IstioAmbient, Linkerd, Cilium, CiliumWireGuard} {
		if err := d.Require(m); err != nil {
			t.Errorf("Require(%s): %v", m, err)
		}
	}
	if err := d.Require(CiliumIPsec); err == nil {
		t.Error("Require(cilium-ipsec) passed with WireGuard configured")
	}
	want := map[string]string{"istio-ambient": "1.31.1-distroless", "linkerd": "stable-2.18.2", "cilium": "v1.20.2", "cilium-wireguard": "v1.20.2"}
	if got := d.MeshVersions(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MeshVersions = %v; want %v", got, want)
	}
	// The pods are kept off the node: the API shows the workloads not ready.
	if c := d.Istio.Component("ztunnel"); c == nil || c.Ready {
		t.Errorf("ztunnel %+v; want present and not ready", c)
	}
}

func TestMeshStepOnTheLabFailsEnrolment(t *testing.T) {
	cs, _ := labClients(t)
	ctx := context.Background()
	id := runID("enrol")
	ns := ownNamespace(id)
	ns.Labels[policies.LabelRun] = id
	install(t, cs, id, ns)

	// The pod is pending (kept off the node); a mesh would still have marked
	// it at admission (Linkerd) or by istio-cni (ambient). Nothing does here.
	for _, m := range []Mesh{IstioAmbient, Linkerd} {
		if err := Enrol(ctx, cs, id, m); err != nil {
			t.Fatalf("Enrol(%s): %v", m, err)
		}
	}
	got, err := cs.CoreV1().Namespaces().Get(ctx, id, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels[AmbientLabel] != AmbientLabelValue || got.Annotations[LinkerdInject] != LinkerdInjectEnabled {
		t.Errorf("namespace labels %v annotations %v; want enrolled in both", got.Labels, got.Annotations)
	}
	p := pod("server", nil, "server")
	p.Namespace = id
	p.Labels = map[string]string{policies.LabelRole: policies.RoleServer}
	p.Spec.NodeSelector = noNode
	p.Spec.Containers[0].Image = "ghcr.io/meshbench/meshbench:latest"
	if _, err := cs.CoreV1().Pods(id).Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	pods := []corev1.Pod{*p}
	for _, m := range []Mesh{IstioAmbient, Linkerd} {
		err := CheckEnrolled(ctx, cs, pods, m)
		var ne *NotEnrolledError
		if !errors.As(err, &ne) || len(ne.Pods) != 1 {
			t.Errorf("CheckEnrolled(%s) on the lab = %v; want the server pod reported not enrolled", m, err)
		} else {
			t.Logf("%s: %v", m, err)
		}
	}
	if err := CheckEnrolled(ctx, cs, pods, None); err != nil {
		t.Errorf("CheckEnrolled(none) = %v", err)
	}
}
