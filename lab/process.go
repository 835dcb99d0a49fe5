package lab

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
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// component is one long-running process of the lab.
type component struct {
	name  string   // the component (etcd, kube-proxy, ...)
	node  string   // the node it serves; empty for the control plane
	netns string   // the network namespace it runs in; empty for the host's
	path  string   // executable
	args  []string // every component gets at least one argument under the state dir
	env   []string // added to the environment
}

// id names the component's log and pid files: "kube-proxy" or
// "mblab-node-1/kube-proxy".
func (c component) id() string {
	if c.node == "" {
		return c.name
	}
	return c.node + "/" + c.name
}

// startDetached starts c in a session of its own with stdin from /dev/null and
// stdout and stderr appended to its log, records its pid, and returns without
// waiting: the lab outlives the command that started it. A goroutine reaps
// the child while this process lives.
func startDetached(l layout, c component) (int, error) {
	if err := os.MkdirAll(filepath.Dir(l.log(c.id())), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(l.pid(c.id())), 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(l.log(c.id()), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== %s %s %s\n", time.Now().Format(time.RFC3339), c.path, strings.Join(c.args, " "))
	keepInheritedFDsToSelf()
	cmd := exec.Command(c.path, c.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Dir = l.dir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	start := cmd.Start
	if c.netns != "" {
		// Forked from a thread inside the node's namespace, the process
		// lives there; its mount namespace stays the host's, so /run/netns
		// (its pods' namespaces) is shared.
		start = func() error { return nsnet.Do(c.netns, cmd.Start) }
	}
	if err := start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", c.id(), err)
	}
	pid := cmd.Process.Pid
	go cmd.Wait() //nolint:errcheck // only reaps; liveness is read from /proc
	if err := os.WriteFile(l.pid(c.id()), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, err
	}
	return pid, nil
}

// labProcess is a running process that belongs to the lab at a state dir.
type labProcess struct {
	pid  int
	name string // component name
	node string // the node it serves, from its arguments; empty for the control plane
}

// findProcesses lists the live processes of the lab at l: every process
// whose command line is one of the lab's executables with an argument under
// the state directory. Pid files are not trusted (after a crash they may be
// gone or name a reused pid); the command line is.
func findProcesses(l layout) []labProcess {
	self := os.Getpid()
	var out []labProcess
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self {
			continue
		}
		if lp, ok := belongs(pid, l); ok {
			out = append(out, lp)
		}
	}
	return out
}

// belongs reports whether pid is alive (not a zombie), runs one of the lab's
// executables (not, say, a shell or sudo whose command line names the state
// dir too) and has an argument that is the state directory or a path under it.
// It returns the process with its component's and node's names.
func belongs(pid int, l layout) (labProcess, bool) {
	if !alive(pid) {
		return labProcess{}, false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return labProcess{}, false
	}
	argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	name, ok := labComponentName(argv)
	if !ok {
		return labProcess{}, false
	}
	dir := filepath.Clean(l.dir())
	under, node := false, ""
	for _, a := range argv[1:] {
		flag, value, isFlag := strings.Cut(a, "=")
		if !isFlag || !strings.HasPrefix(a, "-") {
			flag, value = "", a
		}
		if value == dir || strings.HasPrefix(value, dir+"/") {
			under = true
		}
		if flag == "--hostname-override" || flag == "--node-name" {
			node = value
		}
		if flag == "--subnet-file" && node == "" {
			// flanneld's: <state dir>/nodes/<node>/flannel/subnet.env
			node = filepath.Base(filepath.Dir(filepath.Dir(value)))
		}
		// cilium-agent names its node only in its environment; its state
		// is under its node's directory.
		if rest, ok := strings.CutPrefix(value, l.nodesDir()+"/"); ok && node == "" && flag == "--state-dir" {
			node, _, _ = strings.Cut(rest, "/")
		}
	}
	if !under {
		return labProcess{}, false
	}
	return labProcess{pid: pid, name: name, node: node}, true
}

// labExecutables are the base names of the lab's processes; meshbench counts
// only as `meshbench lab agent` or `meshbench lab wireguard`.
var labExecutables = map[string]bool{
	"etcd": true, "kube-apiserver": true, "kube-controller-manager": true,
	"kube-scheduler": true, "kube-proxy": true, "kube-router": true,
	"flanneld": true,
	ciliumName: true,
}

func labComponentName(argv []string) (string, bool) {
	if len(argv) == 0 {
		return "", false
	}
	if base := filepath.Base(argv[0]); labExecutables[base] {
		return base, true
	}
	if len(argv) >= 3 && argv[1] == "lab" && argv[2] == "agent" {
		return agentName, true
	}
	if len(argv) >= 3 && argv[1] == "lab" && argv[2] == "wireguard" {
		return wireguardName, true
	}
	return "", false
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name in parentheses, which may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] != 'Z' && b[i+2] != 'X'
}

func exeName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil {
		return strconv.Itoa(pid)
	}
	return strings.TrimSpace(string(b))
}

// stopProcess sends SIGTERM and, if the process still lives at the
// deadline, SIGKILL (kube-apiserver ignores SIGTERM for a long while).
func stopProcess(ctx context.Context, pid int, grace time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil
		}
		return err
	}
	if waitGone(ctx, pid, grace) {
		return nil
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	if waitGone(context.WithoutCancel(ctx), pid, 10*time.Second) {
		return nil
	}
	return fmt.Errorf("process %d survived SIGKILL", pid)
}

func waitGone(ctx context.Context, pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if !alive(pid) {
			return true
		}
		select {
		case <-ctx.Done():
			return !alive(pid)
		case <-time.After(50 * time.Millisecond):
		}
	}
	return !alive(pid)
}

var inheritedOnce sync.Once

// keepInheritedFDsToSelf marks every file descriptor above stderr
// close-on-exec before the first component starts. Go opens its own that
// way, but not what this process inherited: under `flock LOCK meshbench lab
// up`, the lock's descriptor would pass on to every component, which outlive
// the command, so the lock would stay held by the lab itself and a later
// `flock LOCK meshbench lab down` would wait forever.
func keepInheritedFDsToSelf() {
	inheritedOnce.Do(func() {
		_ = unix.CloseRange(3, ^uint(0), unix.CLOSE_RANGE_CLOEXEC)
	})
}
