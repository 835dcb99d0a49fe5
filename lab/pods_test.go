package lab_test

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/lab/node"
)

// meshbenchImage is the image the lab runs as the local meshbench binary.
const meshbenchImage = "ghcr.io/meshbench/meshbench:latest"

// servePod is a pod running `meshbench serve --port 8080`.
func servePod(name string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{serveContainer()}},
	}
}

func serveContainer() corev1.Container {
	return corev1.Container{
		Name:  "serve",
		Image: meshbenchImage,
		Args:  []string{"serve", "--port", "8080"},
		Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
	}
}

func statusOf(p *corev1.Pod) any {
	if p == nil {
		return nil
	}
	return p.Status
}

// netnsOf is the network namespace the node agent gave a pod.
func netnsOf(p *corev1.Pod) string { return node.NetnsName(p.Spec.NodeName, string(p.UID)) }

// netnsPIDs lists the processes inside a network namespace.
func netnsPIDs(t testing.TB, ns string) []int {
	t.Helper()
	out, err := exec.Command("ip", "netns", "pids", ns).Output()
	if err != nil {
		t.Fatalf("ip netns pids %s: %v", ns, err)
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

func processAlive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	out, err := exec.Command("ps", "-o", "stat=", "-p", fmt.Sprint(pid)).Output()
	return err == nil && !strings.HasPrefix(strings.TrimSpace(string(out)), "Z")
}
