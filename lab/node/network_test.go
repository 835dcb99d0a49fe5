package node

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// testPodCIDR keeps test pods apart from a lab's pods (10.244.0.0/16).
const testPodCIDR = "10.251.0.0/24"

// testNode is a node namespace of the test's own with an agent's CNI
// runtime over testPodCIDR: the reference plugins of `make lab`, a conflist
// like the lab's, host-local's leases in a temporary directory. The plugins
// run inside the namespace, as they do under the lab's agents.
type testNode struct {
	name  string
	agent *Agent
	ipam  string // host-local's data directory
}

func newTestNode(t testing.TB) *testNode {
	t.Helper()
	requireNetns(t)
	root, ok := lab.RepoRoot()
	if !ok {
		t.Fatal("not inside the meshbench checkout")
	}
	bin := filepath.Join(root, "bin")
	for _, p := range []string{"ptp", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(bin, p)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("CNI plugin %s not built: run make lab", p)
			}
			t.Skipf("CNI plugin %s not built: run make lab (CI=true makes this a failure)", p)
		}
	}
	dir := t.TempDir()
	n := &testNode{name: fmt.Sprintf("mbtest-node-%d", os.Getpid()), ipam: filepath.Join(dir, "ipam")}
	conf := map[string]any{
		"cniVersion": "1.0.0", "name": "test", "loadOnlyInlinedPlugins": true,
		"plugins": []any{map[string]any{
			"type": "ptp", "mtu": 1500,
			"ipam": map[string]any{
				"type": "host-local", "dataDir": n.ipam,
				"ranges": [][]map[string]string{{{"subnet": testPodCIDR}}},
				"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
			},
		}},
	}
	b, _ := json.Marshal(conf)
	confDir := filepath.Join(dir, "net.d")
	if err := os.MkdirAll(confDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(confDir, "10-test.conflist"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	cni, err := NewCNI(confDir, bin, filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	if err := nsnet.Create(n.name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		nss, _ := nsnet.List(func(s string) bool { return isNodeNetns(n.name, s) })
		for _, ns := range nss {
			_ = nsnet.Delete(ns)
		}
		_ = nsnet.Delete(n.name)
	})
	n.agent = &Agent{cfg: Config{NodeName: n.name}, cni: cni, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	return n
}

// in runs fn inside the test node's namespace.
func (n *testNode) in(t testing.TB, fn func() error) {
	t.Helper()
	if err := nsnet.Do(n.name, fn); err != nil {
		t.Fatal(err)
	}
}

// testPod is a pod of the test node, wired by CNI, running the test server.
type testPod struct {
	at   PodAttachment
	net  PodNetwork
	proc *Process
}

// startTestPod wires a pod through CNI ADD on the test node and starts the
// test server in it.
func startTestPod(t *testing.T, n *testNode, name string) *testPod {
	t.Helper()
	uid := fmt.Sprintf("test-%s-%d-%d", name, os.Getpid(), time.Now().UnixNano())
	p := &testPod{at: attachment("test/"+name, uid, NetnsName(n.name, uid))}
	ctx := context.Background()
	t.Cleanup(func() {
		_ = nsnet.Do(n.name, func() error { return n.agent.teardownNetwork(ctx, p.at) })
	})
	n.in(t, func() error {
		var err error
		p.net, err = n.agent.setupNetwork(ctx, p.at)
		return err
	})
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	p.proc, err = StartProcess(ProcessSpec{
		Netns:   p.net.Netns,
		Path:    self,
		Args:    []string{"-test.run=^$"},
		Env:     []string{serveEnv + "=:8080", "POD_NAME=" + name},
		LogPath: filepath.Join(t.TempDir(), name+".log"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.proc.Stop(time.Second) })
	return p
}

// getIn fetches url from inside namespace ns on a new connection, retrying
// while the server starts.
func getIn(t *testing.T, ns, url string) string {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, addr string) (conn net.Conn, err error) {
			err = nsnet.Do(ns, func() error {
				var derr error
				conn, derr = (&net.Dialer{}).DialContext(ctx, network, addr)
				return derr
			})
			return conn, err
		},
	}}
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
			t.Fatalf("GET %s from %s: no answer within 10 s: %v", url, ns, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// nodeRoute reports whether the test node routes ip/32 (ptp's route to a pod).
func (n *testNode) nodeRoute(t testing.TB, ip string) bool {
	t.Helper()
	out, err := exec.Command("ip", "-n", n.name, "route", "show", ip+"/32").CombinedOutput()
	if err != nil {
		t.Fatalf("ip -n %s route show: %v: %s", n.name, err, out)
	}
	return strings.TrimSpace(string(out)) != ""
}

// leased reports whether host-local holds a lease for ip.
func (n *testNode) leased(ip string) bool {
	_, err := os.Stat(filepath.Join(n.ipam, "test", ip))
	return err == nil
}

// CNI ADD wires a pod: its eth0 (a veth made by ptp) holds an address of the
// pod CIDR leased by host-local, the node routes to it through the node-side
// veth, a program in the pod answers at that address from the node, and
// CHECK passes. DEL (with the namespace's removal) leaves nothing: no
// namespace, no veth, no route, no lease; a second DEL is a no-op, as the
// CNI specification asks.
func TestCNIWiresAndUnwiresAPod(t *testing.T) {
	n := newTestNode(t)
	p := startTestPod(t, n, "server")
	ip := p.net.IP.String()
	if !strings.HasPrefix(ip, "10.251.0.") || !n.leased(ip) || p.net.HostVeth == "" {
		t.Fatalf("wiring %+v: want an address of %s leased by host-local and a node-side veth", p.net, testPodCIDR)
	}
	body := getIn(t, n.name, fmt.Sprintf("http://%s:8080/", ip))
	if !strings.Contains(body, "local="+ip+":8080") || !strings.Contains(body, "env=server") {
		t.Fatalf("answer %q: want it served at %s:8080 with the pod's env", body, ip)
	}
	out, err := exec.Command("ip", "-n", p.net.Netns, "-d", "-o", "link", "show", "dev", PodInterface).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "veth") {
		t.Fatalf("eth0 in %s is not a veth: %s %v", p.net.Netns, out, err)
	}
	if !n.nodeRoute(t, ip) || !nsnet.LinkExists(n.name, p.net.HostVeth) {
		t.Fatalf("node %s: route to %s %v, veth %s %v; want both", n.name, ip, n.nodeRoute(t, ip), p.net.HostVeth, nsnet.LinkExists(n.name, p.net.HostVeth))
	}
	ctx := context.Background()
	n.in(t, func() error { return n.agent.cni.Check(ctx, p.at) })

	p.proc.Stop(2 * time.Second)
	code, sig, _ := p.proc.Result()
	if code != 128+int(syscall.SIGTERM) || sig != syscall.SIGTERM.String() {
		t.Errorf("stopped server: exit %d (%s), want %d (terminated)", code, sig, 128+int(syscall.SIGTERM))
	}
	n.in(t, func() error { return n.agent.teardownNetwork(ctx, p.at) })
	if NetnsExists(p.net.Netns) || nsnet.LinkExists(n.name, p.net.HostVeth) || n.nodeRoute(t, ip) || n.leased(ip) {
		t.Fatalf("after DEL: netns %v, veth %v, route %v, lease %v; want none left",
			NetnsExists(p.net.Netns), nsnet.LinkExists(n.name, p.net.HostVeth), n.nodeRoute(t, ip), n.leased(ip))
	}
	n.in(t, func() error { return n.agent.teardownNetwork(ctx, p.at) })
}

// CHECK fails once a pod's wiring is broken (its node-side veth deleted
// behind the plugin's back): what the agent relies on to rewire a pod after
// a restart instead of trusting a record.
func TestCNICheckFailsOnBrokenWiring(t *testing.T) {
	n := newTestNode(t)
	p := startTestPod(t, n, "broken")
	ctx := context.Background()
	n.in(t, func() error { return n.agent.cni.Check(ctx, p.at) })
	if err := nsnet.DeleteLink(n.name, p.net.HostVeth); err != nil {
		t.Fatal(err)
	}
	if err := nsnet.Do(n.name, func() error { return n.agent.cni.Check(ctx, p.at) }); err == nil {
		t.Fatal("CNI CHECK passed with the pod's veth gone")
	}
}

// TestKillNetnsProcessesFindsStrays: every process in a pod's namespace is
// found and killed by its namespace, also one the agent did not start itself
// (as after a crash), which is what lets the namespace go.
func TestKillNetnsProcessesFindsStrays(t *testing.T) {
	n := newTestNode(t)
	p := startTestPod(t, n, "stray")
	getIn(t, n.name, fmt.Sprintf("http://%s:8080/", p.net.IP))
	// A stray: a second program in the namespace, in a process group of its own.
	stray, err := StartProcess(ProcessSpec{Netns: p.net.Netns, Path: "/bin/sleep", Args: []string{"300"}, LogPath: filepath.Join(t.TempDir(), "stray.log")})
	if err != nil {
		t.Fatal(err)
	}
	if k := KillNetnsProcesses(p.net.Netns); k < 2 {
		t.Fatalf("killed %d processes in %s, want at least 2 (server and stray)", k, p.net.Netns)
	}
	for what, proc := range map[string]*Process{"server": p.proc, "stray": stray} {
		select {
		case <-proc.Done():
		case <-time.After(5 * time.Second):
			t.Fatalf("%s still running after KillNetnsProcesses", what)
		}
		if code, _, _ := proc.Result(); code != 128+int(syscall.SIGKILL) {
			t.Errorf("%s exit code %d, want %d (killed)", what, code, 128+int(syscall.SIGKILL))
		}
	}
}

// TestProcessLogKeepsPrevious: a container's output goes to its log file; a
// restart keeps the last run's log as .previous.
func TestProcessLogKeepsPrevious(t *testing.T) {
	n := newTestNode(t)
	p := startTestPod(t, n, "logs")
	getIn(t, n.name, fmt.Sprintf("http://%s:8080/", p.net.IP))
	p.proc.Stop(time.Second)
	logPath := p.proc.cmd.Stdout.(*os.File).Name()
	first, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(first), "test server listening on [::]:8080") {
		t.Fatalf("log %s: %q (%v), want the server's start line", logPath, first, err)
	}
	second, err := StartProcess(ProcessSpec{Netns: p.net.Netns, Path: "/bin/echo", Args: []string{"second run"}, LogPath: logPath})
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

// TestPodToPod: a pod reaches another pod of its node by its IP (out through
// its default route via the ptp gateway, forwarded by the node to the other
// pod's veth), and the server sees the client's own pod IP.
func TestPodToPod(t *testing.T) {
	n := newTestNode(t)
	server := startTestPod(t, n, "target")
	client := startTestPod(t, n, "client")
	getIn(t, n.name, fmt.Sprintf("http://%s:8080/", server.net.IP)) // the server is up
	body := getIn(t, client.net.Netns, fmt.Sprintf("http://%s:8080/", server.net.IP))
	if want := "remote=" + client.net.IP.String() + ":"; !strings.Contains(body, want) {
		t.Fatalf("answer %q; want the server to see the client's pod IP (%s)", body, want)
	}
}

// BenchmarkCNIAddDel measures the agent's share of a pod start and stop on a
// node: the pod's namespace and CNI ADD (loopback, ptp, host-local), then CNI
// DEL and the namespace's removal.
func BenchmarkCNIAddDel(b *testing.B) {
	n := newTestNode(b)
	ctx := context.Background()
	var setup, teardown time.Duration
	i := 0
	for b.Loop() {
		uid := fmt.Sprintf("bench-%d-%d", os.Getpid(), i)
		i++
		at := attachment("bench/p", uid, NetnsName(n.name, uid))
		start := time.Now()
		n.in(b, func() error { _, err := n.agent.setupNetwork(ctx, at); return err })
		setup += time.Since(start)
		start = time.Now()
		n.in(b, func() error { return n.agent.teardownNetwork(ctx, at) })
		teardown += time.Since(start)
	}
	b.ReportMetric(float64(setup.Microseconds())/1000/float64(i), "ms-add")
	b.ReportMetric(float64(teardown.Microseconds())/1000/float64(i), "ms-del")
}
