package node_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/lab/node"
)

// The tests in package node_test run pods on the real lab (lab/labtest): the
// lab's own node agent, or a second agent started by the test against the
// lab's kube-apiserver.

const meshbenchImage = "ghcr.io/meshbench/meshbench:latest"

// testNamespace creates a namespace for one test and deletes it afterwards.
func testNamespace(ctx context.Context, t testing.TB, cs kubernetes.Interface) string {
	t.Helper()
	ns, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "mb-node-",
		Labels:       map[string]string{"app.kubernetes.io/managed-by": "meshbench", "meshbench.io/run": "node-test"},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.CoreV1().Namespaces().Delete(context.Background(), ns.Name, metav1.DeleteOptions{})
	})
	// Pods need the namespace's default ServiceAccount, which
	// kube-controller-manager creates.
	waitFor(ctx, t, "the default ServiceAccount", func() bool {
		_, err := cs.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
		return err == nil
	})
	return ns.Name
}

// waitFor polls cond every 100 ms until it holds or ctx ends.
func waitFor(ctx context.Context, t testing.TB, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting for %s", what)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// servePod is a pod running `meshbench serve --port 8080`, ready when
// /healthz answers.
func servePod(name, nodeName string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": name}},
		Spec: corev1.PodSpec{
			NodeName: nodeName,
			Containers: []corev1.Container{{
				Name:  "serve",
				Image: meshbenchImage,
				Args:  []string{"serve", "--port", "8080"},
				Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
				ReadinessProbe: &corev1.Probe{
					ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromString("http")}},
					PeriodSeconds: 1,
				},
			}},
		},
	}
}

// commandPod runs one meshbench command with a restart policy.
func commandPod(name string, policy corev1.RestartPolicy, args ...string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy: policy,
			Containers:    []corev1.Container{{Name: "main", Image: meshbenchImage, Args: args}},
		},
	}
}

func create(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	p, err := cs.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ready(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

func runningReady(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" && ready(p)
}

func finished(p *corev1.Pod) bool {
	return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed
}

// waitGone waits until the pod object no longer exists.
func waitGone(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, name string) {
	t.Helper()
	waitFor(ctx, t, "pod "+ns+"/"+name+" to be deleted", func() bool {
		_, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
}

// hostObjects reports which of a pod's objects exist on its node: its
// netns, the node-side veth CNI made, and the node's route to the pod (read
// with iproute2 in the node's namespace; the route names the veth).
func hostObjects(t testing.TB, nodeName, uid, podIP string) (netns, veth, route bool) {
	t.Helper()
	netns = node.NetnsExists(node.NetnsName(nodeName, uid))
	if podIP != "" {
		out, err := exec.Command("ip", "-n", nodeName, "-o", "route", "show", podIP+"/32").CombinedOutput()
		if err != nil {
			t.Fatalf("ip -n %s route show: %v: %s", nodeName, err, out)
		}
		route = strings.TrimSpace(string(out)) != ""
		if f := strings.Fields(string(out)); route {
			for i := 0; i+1 < len(f); i++ {
				if f[i] == "dev" {
					veth = exec.Command("ip", "-n", nodeName, "link", "show", "dev", f[i+1]).Run() == nil
				}
			}
		}
	}
	return
}

// inCIDR reports whether ip is in cidr.
func inCIDR(ip, cidr string) bool {
	a, err1 := netip.ParseAddr(ip)
	p, err2 := netip.ParsePrefix(cidr)
	return err1 == nil && err2 == nil && p.Contains(a)
}

// hostGet fetches url from the host.
func hostGet(url string) (string, error) {
	c := &http.Client{Timeout: 3 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b), err
}

func logs(ctx context.Context, cs kubernetes.Interface, ns, name string, opts *corev1.PodLogOptions) (string, error) {
	b, err := cs.CoreV1().Pods(ns).GetLogs(name, opts).DoRaw(ctx)
	return string(b), err
}

func ptr[T any](v T) *T { return &v }

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
