package node

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// testPodCIDR keeps test pods apart from a lab's pods (10.244.0.0/24).
const testPodCIDR = "10.251.0.0/24"

// startTestPod builds a pod network and starts the test server in it.
func startTestPod(t *testing.T, ipam *IPAM, name string) (PodNetwork, *Process) {
	t.Helper()
	uid := fmt.Sprintf("test-%s-%d-%d", name, os.Getpid(), time.Now().UnixNano())
	addr, err := ipam.Allocate(uid)
	if err != nil {
		t.Fatal(err)
	}
	pn := NetworkFor(uid, addr)
	ctx := context.Background()
	t.Cleanup(func() {
		KillNetnsProcesses(pn.Netns)
		_ = pn.Teardown(ctx)
	})
	if err := pn.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	// Setting up twice converges (an agent restarting does it).
	if err := pn.Setup(ctx); err != nil {
		t.Fatalf("second setup: %v", err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	proc, err := StartProcess(ProcessSpec{
		Netns:   pn.Netns,
		Path:    self,
		Args:    []string{"-test.run=^$"},
		Env:     []string{serveEnv + "=:8080", "POD_NAME=" + name},
		LogPath: filepath.Join(t.TempDir(), name+".log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { proc.Stop(time.Second) })
	return pn, proc
}

// get fetches url, retrying while the server starts.
func get(t *testing.T, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := c.Get(url)
		if err == nil {
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no answer within 10 s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func routeExists(t *testing.T, prefix string) bool {
	t.Helper()
	out, err := exec.Command("ip", "route", "show", prefix).CombinedOutput()
	if err != nil {
		t.Fatalf("ip route show %s: %v: %s", prefix, err, out)
	}
	return strings.TrimSpace(string(out)) != ""
}

// TestPodNetworkServesByPodIP: a program started in a pod's netns is reached
// from the host at the pod IP (host route -> veth -> eth0), answers through
// the pod's default route via 169.254.1.1 (proxy ARP on the host side), and
// after the process is stopped and the network torn down nothing is left:
// no netns, no veth, no route, no process.
func TestPodNetworkServesByPodIP(t *testing.T) {
	requireNetns(t)
	ipam, err := NewIPAM(testPodCIDR)
	if err != nil {
		t.Fatal(err)
	}
	pn, proc := startTestPod(t, ipam, "server")

	body := get(t, fmt.Sprintf("http://%s:8080/", pn.IP))
	if !strings.Contains(body, "local="+pn.IP.String()+":8080") || !strings.Contains(body, "env=server") {
		t.Fatalf("answer %q: want it served at %s:8080 with the pod's env", body, pn.IP)
	}
	// The address is on eth0 inside the pod, not on the host.
	out, err := exec.Command("ip", "-n", pn.Netns, "-4", "-o", "addr", "show", "dev", PodInterface).CombinedOutput()
	if err != nil || !strings.Contains(string(out), pn.IP.String()+"/32") {
		t.Fatalf("eth0 in %s: want %s/32, got %s (%v)", pn.Netns, pn.IP, out, err)
	}

	proc.Stop(2 * time.Second)
	code, sig, _ := proc.Result()
	if code != 128+int(syscall.SIGTERM) || sig != syscall.SIGTERM.String() {
		t.Errorf("stopped server: exit %d (%s), want %d (terminated)", code, sig, 128+int(syscall.SIGTERM))
	}
	if err := pn.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if NetnsExists(pn.Netns) || LinkExists(pn.Veth) || routeExists(t, pn.IP.String()+"/32") {
		t.Fatalf("after teardown: netns %v, veth %v, route %v; want none left",
			NetnsExists(pn.Netns), LinkExists(pn.Veth), routeExists(t, pn.IP.String()+"/32"))
	}
	// A second teardown is a no-op.
	if err := pn.Teardown(context.Background()); err != nil {
		t.Fatalf("second teardown: %v", err)
	}
}

// TestKillNetnsProcessesFindsStrays: every process in a pod's namespace is
// found and killed by its namespace, also one the agent did not start itself
// (as after a crash), which is what lets the namespace and veth go.
func TestKillNetnsProcessesFindsStrays(t *testing.T) {
	requireNetns(t)
	ipam, err := NewIPAM(testPodCIDR)
	if err != nil {
		t.Fatal(err)
	}
	pn, proc := startTestPod(t, ipam, "stray")
	get(t, fmt.Sprintf("http://%s:8080/", pn.IP))
	// A stray: a second program in the namespace, in a process group of its own.
	stray := exec.Command("ip", "netns", "exec", pn.Netns, "sleep", "300")
	stray.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := stray.Start(); err != nil {
		t.Fatal(err)
	}
	strayDone := make(chan error, 1)
	go func() { strayDone <- stray.Wait() }()

	if n := KillNetnsProcesses(pn.Netns); n < 2 {
		t.Fatalf("killed %d processes in %s, want at least 2 (server and stray)", n, pn.Netns)
	}
	select {
	case <-proc.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server still running after KillNetnsProcesses")
	}
	select {
	case <-strayDone:
	case <-time.After(5 * time.Second):
		t.Fatal("stray still running after KillNetnsProcesses")
	}
	if code, _, _ := proc.Result(); code != 128+int(syscall.SIGKILL) {
		t.Errorf("server exit code %d, want %d (killed)", code, 128+int(syscall.SIGKILL))
	}
	if err := pn.Teardown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if NetnsExists(pn.Netns) || LinkExists(pn.Veth) {
		t.Fatal("netns or veth left after teardown")
	}
}

// TestProcessLogKeepsPrevious: a container's output goes to its log file; a
// restart keeps the last run's log as .previous.
func TestProcessLogKeepsPrevious(t *testing.T) {
	requireNetns(t)
	ipam, err := NewIPAM(testPodCIDR)
	if err != nil {
		t.Fatal(err)
	}
	pn, proc := startTestPod(t, ipam, "logs")
	get(t, fmt.Sprintf("http://%s:8080/", pn.IP))
	proc.Stop(time.Second)
	logPath := proc.cmd.Stdout.(*os.File).Name()
	first, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(first), "test server listening on [::]:8080") {
		t.Fatalf("log %s: %q (%v), want the server's start line", logPath, first, err)
	}
	second, err := StartProcess(ProcessSpec{Netns: pn.Netns, Path: "/bin/echo", Args: []string{"second run"}, LogPath: logPath})
	if err != nil {
		t.Fatal(err)
	}
	<-second.Done()
	if code, _, _ := second.Result(); code != 0 {
		t.Fatalf("echo exit code %d", code)
	}
	cur, _ := os.ReadFile(logPath)
	prev, _ := os.ReadFile(logPath + ".previous")
	if string(cur) != "second run\n" || string(prev) != string(first) {
		t.Fatalf("log %q, previous %q: want the second run's output and the first run's", cur, prev)
	}
}

// TestPodToPod: a pod reaches another pod by its IP through the host's
// routes (out through its default route via 169.254.1.1, forwarded by the
// host to the other pod's veth), without the host-wide ip_forward.
func TestPodToPod(t *testing.T) {
	requireNetns(t)
	ipam, err := NewIPAM(testPodCIDR)
	if err != nil {
		t.Fatal(err)
	}
	server, _ := startTestPod(t, ipam, "target")
	client, _ := startTestPod(t, ipam, "client")
	get(t, fmt.Sprintf("http://%s:8080/", server.IP)) // the server is up
	self, _ := os.Executable()
	logPath := filepath.Join(t.TempDir(), "get.log")
	proc, err := StartProcess(ProcessSpec{
		Netns:   client.Netns,
		Path:    self,
		Args:    []string{"-test.run=^$"},
		Env:     []string{getEnv + "=" + fmt.Sprintf("http://%s:8080/", server.IP)},
		LogPath: logPath,
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.Done():
	case <-time.After(10 * time.Second):
		proc.Stop(0)
		t.Fatal("client pod's GET did not finish within 10 s")
	}
	out, _ := os.ReadFile(logPath)
	code, _, _ := proc.Result()
	want := "remote=" + client.IP.String() + ":"
	if code != 0 || !strings.Contains(string(out), want) {
		t.Fatalf("client pod: exit %d, output %q; want the server to see the client's pod IP (%s)", code, out, want)
	}
}

// BenchmarkPodNetworkSetup measures the agent's share of a pod start: the
// netns, veth, addresses, routes and sysctls of one pod (Setup), and its
// removal (Teardown), each through iproute2.
func BenchmarkPodNetworkSetup(b *testing.B) {
	requireNetns(b)
	ipam, err := NewIPAM(testPodCIDR)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var setup, teardown time.Duration
	for i := 0; i < b.N; i++ {
		uid := fmt.Sprintf("bench-%d-%d", os.Getpid(), i)
		addr, err := ipam.Allocate(uid)
		if err != nil {
			b.Fatal(err)
		}
		pn := NetworkFor(uid, addr)
		start := time.Now()
		if err := pn.Setup(ctx); err != nil {
			b.Fatal(err)
		}
		setup += time.Since(start)
		start = time.Now()
		if err := pn.Teardown(ctx); err != nil {
			b.Fatal(err)
		}
		teardown += time.Since(start)
		ipam.Release(uid)
	}
	b.ReportMetric(float64(setup.Microseconds())/1000/float64(b.N), "ms-setup")
	b.ReportMetric(float64(teardown.Microseconds())/1000/float64(b.N), "ms-teardown")
}
