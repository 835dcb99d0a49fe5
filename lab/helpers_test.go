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
func startLab(t *testing.T) (*lab.Lab, lab.Options) {
	t.Helper()
	labtest.Requirements(t)
	labtest.Lock(t)
	opts := labtest.Options(t, t.TempDir())
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
// the lab package's own bookkeeping.
type hostSnapshot struct {
	processes []string // "pid cmdline" of processes naming the state dir
	netns     []string
	links     []string
	chains    []string
	ipsets    []string
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
		if strings.HasPrefix(e.Name(), lab.VethPrefix) || e.Name() == lab.NodeInterface || e.Name() == lab.NodeInterfacePeer {
			s.links = append(s.links, e.Name())
		}
	}
	for _, family := range []string{"iptables-save", "ip6tables-save"} {
		out, err := exec.Command(family).Output()
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, ":KUBE-") {
				s.chains = append(s.chains, family+" "+strings.Fields(line)[0])
			}
		}
	}
	if out, err := exec.Command("ipset", "list", "-n").Output(); err == nil {
		for _, name := range strings.Fields(string(out)) {
			n := strings.TrimPrefix(name, "inet6:")
			if strings.HasPrefix(n, "KUBE-") || strings.HasPrefix(n, "kube-router-") {
				s.ipsets = append(s.ipsets, name)
			}
		}
	}
	b, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	s.ipForward = strings.TrimSpace(string(b))
	return s
}

// assertClean fails unless the host shows nothing of the lab: no process,
// netns, veth, node interface, iptables chain or ipset, and ip_forward as
// it was before.
func assertClean(t *testing.T, stateDir, ipForwardBefore string) {
	t.Helper()
	s := snapshot(t, stateDir)
	for what, left := range map[string][]string{
		"processes": s.processes, "network namespaces": s.netns, "links": s.links,
		"iptables chains": s.chains, "ipsets": s.ipsets,
	} {
		if len(left) > 0 {
			t.Errorf("after down, lab %s remain: %v", what, left)
		}
	}
	if s.ipForward != ipForwardBefore {
		t.Errorf("net.ipv4.ip_forward = %s after down, was %s before up", s.ipForward, ipForwardBefore)
	}
	// Routes to pods go with their veths; none may point into the pod range.
	out, _ := exec.Command("ip", "-4", "route", "show", "root", lab.PodCIDR).Output()
	if strings.TrimSpace(string(out)) != "" {
		t.Errorf("after down, routes into %s remain:\n%s", lab.PodCIDR, out)
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
	return m
}
