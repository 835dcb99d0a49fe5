package meshes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/meshbench/meshbench/policies"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// FieldManager is the manager meshbench's changes are recorded under.
const FieldManager = "meshbench"

// enrolment is how a namespace joins a mesh: a label (ambient) or an
// annotation (Linkerd's injector).
type enrolment struct {
	annotation bool
	key, value string
}

func enrolmentOf(m Mesh) (enrolment, bool) {
	switch m {
	case IstioAmbient:
		return enrolment{key: AmbientLabel, value: AmbientLabelValue}, true
	case Linkerd:
		return enrolment{annotation: true, key: LinkerdInject, value: LinkerdInjectEnabled}, true
	}
	return enrolment{}, false // none and Cilium: nothing per namespace
}

// Enrol puts namespace into mesh m: the istio.io/dataplane-mode=ambient label
// for Istio ambient, the linkerd.io/inject=enabled annotation for Linkerd
// (which injects at pod creation: enrol before creating the pods). None and
// Cilium need nothing. A namespace meshbench did not create is only accepted
// if it is enrolled already: meshbench does not change others' objects.
func Enrol(ctx context.Context, cs kubernetes.Interface, namespace string, m Mesh) error {
	if _, err := ParseMesh(string(m)); err != nil {
		return err
	}
	e, ok := enrolmentOf(m)
	if !ok {
		return nil
	}
	ns, err := cs.CoreV1().Namespaces().Get(ctx, namespace, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("enrolling namespace %s in %s: %w", namespace, m, err)
	}
	have := ns.Labels
	kind, cmd := "label", "label"
	if e.annotation {
		have, kind, cmd = ns.Annotations, "annotation", "annotate"
	}
	if have[e.key] == e.value {
		return nil
	}
	if ns.Labels[policies.LabelManagedBy] != policies.ManagedBy {
		return fmt.Errorf("namespace %s is not enrolled in %s and meshbench did not create it: run kubectl %s namespace %s %s=%s",
			namespace, m, cmd, namespace, e.key, e.value)
	}
	field := "labels"
	if e.annotation {
		field = "annotations"
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{field: map[string]string{e.key: e.value}}})
	if _, err := cs.CoreV1().Namespaces().Patch(ctx, namespace, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager}); err != nil {
		return fmt.Errorf("enrolling namespace %s in %s (%s %s=%s): %w", namespace, m, kind, e.key, e.value, err)
	}
	return nil
}

// NotEnrolledError lists the pods a mesh has not taken in (or, for mesh none,
// the pods a mesh has).
type NotEnrolledError struct {
	Mesh Mesh
	Pods []string // namespace/name: why
}

func (e *NotEnrolledError) Error() string {
	what := "not enrolled in " + string(e.Mesh)
	if e.Mesh == None {
		what = "enrolled in a mesh, but mesh none was asked for"
	}
	return fmt.Sprintf("%d pod(s) %s: %s", len(e.Pods), what, strings.Join(e.Pods, "; "))
}

// CheckEnrolled reads pods afresh and returns a *NotEnrolledError unless every
// one is in mesh m: for Istio ambient the annotation
// ambient.istio.io/redirection=enabled that istio-cni sets once ztunnel
// captures the pod's traffic; for Linkerd a linkerd-proxy container (or
// native sidecar). For none, no pod may be in either mesh. Cilium's encryption
// is per node, so there is nothing to check per pod.
func CheckEnrolled(ctx context.Context, cs kubernetes.Interface, pods []corev1.Pod, m Mesh) error {
	if _, err := ParseMesh(string(m)); err != nil {
		return err
	}
	if m == Cilium || m == CiliumWireGuard || m == CiliumIPsec {
		return nil
	}
	nerr := &NotEnrolledError{Mesh: m}
	for _, p := range pods {
		cur, err := cs.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil {
			return fmt.Errorf("checking pod %s/%s for %s: %w", p.Namespace, p.Name, m, err)
		}
		id := cur.Namespace + "/" + cur.Name
		ambient := cur.Annotations[AmbientRedirection] == AmbientRedirectionEnabled
		linkerd := hasContainer(cur, LinkerdProxy)
		switch m {
		case IstioAmbient:
			if !ambient {
				nerr.Pods = append(nerr.Pods, fmt.Sprintf("%s: no annotation %s=%s (is ztunnel and istio-cni running, and the namespace labelled %s=%s?)",
					id, AmbientRedirection, AmbientRedirectionEnabled, AmbientLabel, AmbientLabelValue))
			}
		case Linkerd:
			if !linkerd {
				nerr.Pods = append(nerr.Pods, fmt.Sprintf("%s: no %s container (is Linkerd's proxy injector running, and was the pod created after the namespace got %s=%s?)",
					id, LinkerdProxy, LinkerdInject, LinkerdInjectEnabled))
			}
		case None:
			if ambient {
				nerr.Pods = append(nerr.Pods, id+": in Istio's ambient mesh")
			}
			if linkerd {
				nerr.Pods = append(nerr.Pods, id+": has a linkerd-proxy")
			}
		}
	}
	if len(nerr.Pods) > 0 {
		return nerr
	}
	return nil
}

func hasContainer(p *corev1.Pod, name string) bool {
	for _, cs := range [][]corev1.Container{p.Spec.Containers, p.Spec.InitContainers} {
		for _, c := range cs {
			if c.Name == name {
				return true
			}
		}
	}
	return false
}

// WaitEnrolled polls CheckEnrolled every interval until the pods are enrolled,
// ctx ends or timeout passes; it returns the last check's error. A mesh takes
// pods in a moment after they start (istio-cni annotates them once ztunnel
// captures their traffic), so a run waits rather than checks once.
func WaitEnrolled(ctx context.Context, cs kubernetes.Interface, pods []corev1.Pod, m Mesh, interval, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		err := CheckEnrolled(ctx, cs, pods, m)
		var ne *NotEnrolledError
		if err == nil || !errors.As(err, &ne) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("after %s: %w", timeout, err)
		case <-t.C:
		}
	}
}
