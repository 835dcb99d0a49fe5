// Package labtest brings the lab up for integration tests in any package.
//
//	func TestMain(m *testing.M) { os.Exit(labtest.Main(m)) } // optional: one lab per package
//
//	func TestSomething(t *testing.T) {
//		l := labtest.Up(t)
//		cs := labtest.Client(t, l)
//		...
//	}
//
// Up reuses a healthy lab already running at the state directory
// ($MESHBENCH_LAB_DIR or /var/lib/meshbench/lab) and leaves it running;
// otherwise it starts one and stops it when the test ends (or, under Main,
// when the package's tests end). Where the lab cannot run (not root, no
// network namespaces, binaries not built) tests skip with the reason, except
// with CI=true, where they fail.
package labtest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/lab"
)

var (
	mu      sync.Mutex
	shared  *lab.Lab // the lab of the package, under Main
	inMain  bool
	started bool // shared was started here, not reused
)

// Main runs a package's tests sharing one lab, and stops it afterwards if Up
// started it.
func Main(m *testing.M) int {
	mu.Lock()
	inMain = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	defer mu.Unlock()
	if shared != nil && started {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if err := shared.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "labtest: stopping the lab:", err)
			if code == 0 {
				code = 1
			}
		}
	}
	unlock()
	return code
}

// Unavailable skips the test with reason, or fails it when CI=true: CI must
// run every lab test.
func Unavailable(t testing.TB, format string, a ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, a...)
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true and the lab cannot run: " + msg)
	}
	t.Skip("lab unavailable: " + msg)
}

// Requirements skips (or under CI fails) the test when this host cannot run
// the lab: not root, no network namespaces, or the binaries of `make lab`
// missing.
func Requirements(t testing.TB) {
	t.Helper()
	if testing.Short() {
		Unavailable(t, "-short")
	}
	if os.Geteuid() != 0 {
		Unavailable(t, "needs root (run the tests with sudo)")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		Unavailable(t, "no network namespaces")
	}
	root, ok := lab.RepoRoot()
	if !ok {
		Unavailable(t, "not inside the meshbench checkout")
	}
	for _, b := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy", "kube-router", "ptp", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join(root, "bin", b)); err != nil {
			Unavailable(t, "%s is not built: run make lab", b)
		}
	}
	for _, tool := range []string{"etcd", "iptables", "ipset"} {
		if _, err := exec.LookPath(tool); err != nil {
			Unavailable(t, "%s missing: apt-get install etcd-server iptables ipset", tool)
		}
	}
}

// Nodes is how many nodes the tests' lab runs: three, so that a Deployment
// spreads over nodes, cross-node placement has a choice, and the routes
// between nodes are more than one pair.
const Nodes = 3

// Options are the lab options for tests at stateDir: a lab of Nodes nodes,
// the binaries of the checkout and a meshbench built from it now (the node
// agent's code is the one under test, not whatever bin/meshbench holds).
func Options(t testing.TB, stateDir string) lab.Options {
	t.Helper()
	root, _ := lab.RepoRoot()
	exe := filepath.Join(stateDir, "bin", "meshbench")
	build := exec.Command("go", "build", "-o", exe, "./cmd/meshbench")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building meshbench for the lab's node agent: %v\n%s", err, out)
	}
	return lab.Options{StateDir: stateDir, Nodes: Nodes, BinDir: filepath.Join(root, "bin"), Meshbench: exe, Progress: testLog{t}}
}

// Up returns a ready lab: a healthy one already running at the state
// directory, or a new one.
func Up(t testing.TB) *lab.Lab {
	t.Helper()
	Requirements(t)
	mu.Lock()
	defer mu.Unlock()
	if shared != nil {
		return shared
	}
	lock(t)
	if !inMain {
		t.Cleanup(unlock) // runs after the Stop registered below
	}
	dir := lab.StateDirFromEnv()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	opts := Options(t, dir)
	if inMain {
		// A shared lab outlives this test: its progress (and Stop's, under
		// Main) must not go to this test's log.
		opts.Progress = os.Stderr
	}
	l, err := lab.Start(ctx, opts)
	var pe *lab.PreflightError
	if errors.As(err, &pe) {
		Unavailable(t, "%v", err)
	}
	if err != nil {
		t.Fatalf("lab up: %v", err)
	}
	if !inMain {
		if !l.Reused() {
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
				defer cancel()
				if err := l.Stop(ctx); err != nil {
					t.Errorf("lab down: %v", err)
				}
			})
		}
		return l
	}
	shared, started = l, !l.Reused()
	return l
}

// Client returns a client-go clientset for the lab's admin.
func Client(t testing.TB, l *lab.Lab) kubernetes.Interface {
	t.Helper()
	cs, err := kubernetes.NewForConfig(RESTConfig(t, l))
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// RESTConfig is the lab's admin client configuration.
func RESTConfig(t testing.TB, l *lab.Lab) *rest.Config {
	t.Helper()
	cfg, err := lab.RESTConfig(l.StateDir())
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// testLog writes the lab's progress lines to the test log.
type testLog struct{ t testing.TB }

func (w testLog) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Logf("lab: %s", trimNewline(p))
	return len(p), nil
}

func trimNewline(p []byte) string {
	if n := len(p); n > 0 && p[n-1] == '\n' {
		return string(p[:n-1])
	}
	return string(p)
}

// ClusterClient is meshbench's cluster client for the lab's admin, for tests
// of the packages that drive a run.
func ClusterClient(t testing.TB) *cluster.Client {
	t.Helper()
	c, err := cluster.New(RESTConfig(t, Up(t)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}
