package ciliumlab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/lab/node"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// startCiliumLab starts a Cilium lab of nodes nodes at a fresh state
// directory; down runs when the test ends whatever happened. It skips
// (fails under CI) where the lab or Cilium's build is missing.
func startCiliumLab(t testing.TB, nodes int) (*lab.Lab, lab.Options) {
	t.Helper()
	return startLab(t, lab.EngineCilium, nodes)
}

// startLab starts a lab of nodes nodes with the policy engine at a fresh
// state directory, as startCiliumLab does.
func startLab(t testing.TB, engine lab.Engine, nodes int) (*lab.Lab, lab.Options) {
	t.Helper()
	labtest.Requirements(t)
	if engine == lab.EngineCilium {
		root, _ := lab.RepoRoot()
		for _, b := range []string{"cilium-agent", "cilium-cni", "cilium/bpf/bpf_lxc.c"} {
			if _, err := os.Stat(filepath.Join(root, "bin", b)); err != nil {
				labtest.Unavailable(t, "bin/%s is not built: run make lab-cilium", b)
			}
		}
		if _, err := os.Stat("/usr/lib/llvm-19/bin/clang"); err != nil {
			labtest.Unavailable(t, "clang-19 missing: apt-get install clang-19 llvm-19")
		}
	}
	labtest.Lock(t)
	opts := labtest.Options(t, t.TempDir())
	opts.Nodes = nodes
	opts.Engine = engine
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	opts.Timeout = 12 * time.Minute
	l, err := lab.Start(ctx, opts)
	var pe *lab.PreflightError
	if errors.As(err, &pe) {
		labtest.Unavailable(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("lab up --engine %s: %v", engine, err)
	}
	t.Cleanup(func() { _ = lab.Down(context.Background(), opts) })
	return l, opts
}

// ciliumObjects lists what a Cilium lab may leave on the host, read with
// iproute2, iptables-save and /proc rather than the lab's own code: cilium
// links (cilium_host, cilium_net, lxc…) and CILIUM_* chains in the host's
// and every named network namespace, mounts and pinned BPF objects under
// the state dir, processes naming it, and /run/cilium when it was not there
// before.
func ciliumObjects(t *testing.T, stateDir string, runCiliumBefore bool) []string {
	t.Helper()
	var out []string
	namespaces := []string{""}
	if entries, err := os.ReadDir("/run/netns"); err == nil {
		for _, e := range entries {
			namespaces = append(namespaces, e.Name())
		}
	}
	for _, ns := range namespaces {
		where := ns
		if ns == "" {
			where = "host"
		}
		args := []string{"-o", "link", "show"}
		if ns != "" {
			args = append([]string{"-n", ns}, args...)
		}
		if b, err := exec.Command("ip", args...).Output(); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				f := strings.Fields(line)
				if len(f) < 2 {
					continue
				}
				name, _, _ := strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
				if strings.HasPrefix(name, "cilium_") || strings.HasPrefix(name, "lxc") {
					out = append(out, where+" link "+name)
				}
			}
		}
		save := exec.Command("iptables-save")
		if ns != "" {
			save = exec.Command("ip", "netns", "exec", ns, "iptables-save")
		}
		if b, err := save.Output(); err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if strings.HasPrefix(line, ":CILIUM_") {
					out = append(out, where+" chain "+strings.Fields(line)[0])
				}
			}
		}
	}
	mounts, err := lab.MountsUnder(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mounts {
		out = append(out, "mount "+m)
		_ = filepath.WalkDir(m, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				out = append(out, "pinned "+p)
			}
			return nil
		})
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err == nil && strings.Contains(string(b), stateDir) && !strings.Contains(string(stat), ") Z ") {
			out = append(out, fmt.Sprintf("process %d %s", pid, strings.ReplaceAll(string(b), "\x00", " ")))
		}
	}
	if _, err := os.Stat("/run/cilium"); err == nil && !runCiliumBefore {
		out = append(out, "dir /run/cilium")
	}
	return out
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

// netnsOf is the network namespace the node agent gave a pod.
func netnsOf(p *corev1.Pod) string { return node.NetnsName(p.Spec.NodeName, string(p.UID)) }

// hostInterface is the node-side end of the pod's eth0 (its veth peer),
// as iproute2 shows it: "eth0@ifN" in the pod, N the index in the node.
func hostInterface(t *testing.T, p *corev1.Pod) (ifindex int, name string) {
	t.Helper()
	b, err := exec.Command("ip", "-n", netnsOf(p), "-o", "link", "show", "eth0").Output()
	if err != nil {
		t.Fatalf("pod %s: ip link show eth0: %v", p.Name, err)
	}
	m := regexp.MustCompile(`eth0@if(\d+)`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("pod %s: eth0 is no veth: %s", p.Name, b)
	}
	ifindex, _ = strconv.Atoi(string(m[1]))
	b, err = exec.Command("ip", "-n", p.Spec.NodeName, "-o", "link", "show").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 1 && f[0] == strconv.Itoa(ifindex)+":" {
			name, _, _ = strings.Cut(strings.TrimSuffix(f[1], ":"), "@")
			return ifindex, name
		}
	}
	t.Fatalf("pod %s: no interface %d in node %s", p.Name, ifindex, p.Spec.NodeName)
	return 0, ""
}

// attachedPrograms counts the BPF programs attached to interface ifindex
// of node's namespace: tcx ingress and egress (Cilium's default where the
// kernel has tcx), asked with BPF_PROG_QUERY from inside the namespace.
func attachedPrograms(t *testing.T, nodeNetns string, ifindex int) int {
	t.Helper()
	n := 0
	err := nsnet.Do(nodeNetns, func() error {
		for _, at := range []ebpf.AttachType{ebpf.AttachTCXIngress, ebpf.AttachTCXEgress} {
			r, err := link.QueryPrograms(link.QueryOptions{Target: ifindex, Attach: at})
			if err != nil {
				return err
			}
			n += len(r.Programs)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("querying programs on interface %d of %s: %v", ifindex, nodeNetns, err)
	}
	return n
}

// reaches makes one HTTP GET from the pod's namespace on a new connection.
func reaches(ctx context.Context, from *corev1.Pod, url string) bool {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	c := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return labtest.DialInNetns(ctx, netnsOf(from), addr)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// servePod is a pod on nodeName running `meshbench serve --port 8080`.
func servePod(name, nodeName string, labels map[string]string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		Spec: corev1.PodSpec{NodeName: nodeName, Containers: []corev1.Container{{
			Name: "serve", Image: "ghcr.io/meshbench/meshbench:latest",
			Args:  []string{"serve", "--port", "8080"},
			Ports: []corev1.ContainerPort{{ContainerPort: 8080}},
		}}},
	}
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
