package lab_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// startLab starts a lab of the test's own at a fresh state directory and
// returns it with its options; the test stops it. It skips (fails under CI)
// where the lab cannot run.
func startLab(t *testing.T, nodes int) (*lab.Lab, lab.Options) {
	t.Helper()
	return startLabOn(t, nodes, lab.DefaultNetwork)
}

// startLabOn is startLab with the given network between the nodes.
func startLabOn(t *testing.T, nodes int, network lab.Network) (*lab.Lab, lab.Options) {
	t.Helper()
	labtest.Requirements(t)
	labtest.Lock(t)
	opts := labtest.Options(t, t.TempDir())
	opts.Nodes = nodes
	opts.Network = network
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, opts)
	var pe *lab.PreflightError
	if errors.As(err, &pe) {
		labtest.Unavailable(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	if l.Reused() {
		t.Fatal("a fresh state directory reported a running lab")
	}
	t.Cleanup(func() {
		// Whatever the test did, leave the host clean.
		_ = lab.Down(context.Background(), opts)
	})
	return l, opts
}

// hostSnapshot is what the lab may leave on the host, read independently of
// the lab package's own bookkeeping (with iproute2, iptables-save and ipset,
// not the netlink code under test): processes, named network namespaces,
// host links and routes into the lab's ranges, and the iptables chains and
// ipsets of the host and of every lab namespace still there.
type hostSnapshot struct {
	processes []string // "pid cmdline" of processes naming the state dir
	netns     []string
	links     []string
	routes    []string
	chains    []string // "netns family chain"; netns "-" is the host's
	ipsets    []string // "netns set"
	ipForward string
}

func snapshot(t *testing.T, stateDir string) hostSnapshot {
	t.Helper()
	var s hostSnapshot
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		stat, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil || bytes.Contains(stat, []byte(") Z ")) {
			continue
		}
		if bytes.Contains(b, []byte(stateDir)) {
			s.processes = append(s.processes, fmt.Sprintf("%d %s", pid, bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
		}
	}
	out, err := exec.Command("ip", "netns", "list").Output()
	if err != nil {
		t.Fatalf("ip netns list: %v", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Fields(line); len(f) > 0 && strings.HasPrefix(f[0], lab.NetnsPrefix) {
			s.netns = append(s.netns, f[0])
		}
	}
	entries, _ := os.ReadDir("/sys/class/net")
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), lab.VethPrefix) || strings.HasPrefix(e.Name(), "mblab") {
			s.links = append(s.links, e.Name())
		}
	}
	for _, cidr := range []string{lab.ClusterCIDR, lab.ServiceCIDR, lab.ControlPlaneIP + "/24"} {
		out, _ := exec.Command("ip", "-4", "route", "show", "root", cidr).Output()
		for _, r := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if r != "" {
				s.routes = append(s.routes, r)
			}
		}
	}
	for _, ns := range append([]string{"-"}, s.netns...) {
		inNetns := func(args ...string) *exec.Cmd {
			if ns == "-" {
				return exec.Command(args[0], args[1:]...)
			}
			return exec.Command("ip", append([]string{"netns", "exec", ns}, args...)...)
		}
		for _, family := range []string{"iptables-save", "ip6tables-save"} {
			out, err := inNetns(family).Output()
			if err != nil {
				continue
			}
			for _, line := range strings.Split(string(out), "\n") {
				if strings.HasPrefix(line, ":KUBE-") {
					s.chains = append(s.chains, ns+" "+family+" "+strings.Fields(line)[0])
				}
			}
		}
		if out, err := inNetns("ipset", "list", "-n").Output(); err == nil {
			for _, name := range strings.Fields(string(out)) {
				n := strings.TrimPrefix(name, "inet6:")
				if strings.HasPrefix(n, "KUBE-") || strings.HasPrefix(n, "kube-router-") {
					s.ipsets = append(s.ipsets, ns+" "+name)
				}
			}
		}
	}
	b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	s.ipForward = strings.TrimSpace(string(b))
	return s
}

// assertClean fails unless the host shows nothing of the lab: no process,
// netns, link, route into the lab's ranges, iptables chain or ipset (the
// host's, and no namespace left to hold any), and ip_forward as it was.
func assertClean(t *testing.T, stateDir, ipForwardBefore string) {
	t.Helper()
	s := snapshot(t, stateDir)
	for what, left := range map[string][]string{
		"processes": s.processes, "network namespaces": s.netns, "links": s.links,
		"routes": s.routes, "iptables chains": s.chains, "ipsets": s.ipsets,
	} {
		if len(left) > 0 {
			t.Errorf("after down, lab %s remain: %v", what, left)
		}
	}
	if s.ipForward != ipForwardBefore {
		t.Errorf("net.ipv4.ip_forward = %s after down, was %s before up", s.ipForward, ipForwardBefore)
	}
}

// killAll sends SIGKILL to every process naming the state dir: a crash of
// the whole lab.
func killAll(t *testing.T, stateDir string) int {
	t.Helper()
	n := 0
	for _, p := range snapshot(t, stateDir).processes {
		pid, _ := strconv.Atoi(strings.Fields(p)[0])
		if err := syscall.Kill(pid, syscall.SIGKILL); err == nil {
			n++
		}
	}
	return n
}

func pidFiles(t *testing.T, stateDir string) []string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(stateDir, "pids", "*.pid"))
	n, _ := filepath.Glob(filepath.Join(stateDir, "pids", "*", "*.pid"))
	return append(m, n...)
}
