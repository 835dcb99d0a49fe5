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
	"syscall"
	"time"
)

// component is one long-running process of the lab.
type component struct {
	name string   // log and pid file name
	path string   // executable
	args []string // every component gets at least one argument under the state dir
	env  []string // added to the environment
}

// startDetached starts c in a session of its own with stdin from /dev/null and
// stdout and stderr appended to its log, records its pid, and returns without
// waiting: the lab outlives the command that started it. A goroutine reaps
// the child while this process lives.
func startDetached(l layout, c component) (int, error) {
	if err := os.MkdirAll(filepath.Dir(l.log(c.name)), 0o755); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(l.pidDir(), 0o755); err != nil {
		return 0, err
	}
	logf, err := os.OpenFile(l.log(c.name), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	fmt.Fprintf(logf, "=== %s %s %s\n", time.Now().Format(time.RFC3339), c.path, strings.Join(c.args, " "))
	cmd := exec.Command(c.path, c.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Dir = l.dir()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("start %s: %w", c.name, err)
	}
	pid := cmd.Process.Pid
	go cmd.Wait() //nolint:errcheck // only reaps; liveness is read from /proc
	if err := os.WriteFile(l.pid(c.name), []byte(strconv.Itoa(pid)+"\n"), 0o644); err != nil {
		return pid, err
	}
	return pid, nil
}

// labProcess is a running process that belongs to the lab at a state dir.
type labProcess struct {
	pid  int
	name string // component name (from its pid file) or executable base name
}

// findProcesses lists the live processes of the lab at l: those named by its
// pid files and any other whose command line names the state directory
// (after a crash the pid files may be gone or stale). A pid is trusted only
// if its command line still names the state directory, so a reused pid is
// never signalled.
func findProcesses(l layout) []labProcess {
	self := os.Getpid()
	seen := map[int]bool{}
	var out []labProcess
	if entries, err := os.ReadDir(l.pidDir()); err == nil {
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(l.pidDir(), e.Name()))
			if err != nil {
				continue
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil || pid == self {
				continue
			}
			if _, ok := belongs(pid, l); !ok {
				continue
			}
			seen[pid] = true
			out = append(out, labProcess{pid, strings.TrimSuffix(e.Name(), ".pid")})
		}
	}
	procs, _ := os.ReadDir("/proc")
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == self || seen[pid] {
			continue
		}
		if name, ok := belongs(pid, l); ok {
			out = append(out, labProcess{pid, name})
		}
	}
	return out
}

// belongs reports whether pid is alive (not a zombie), runs one of the lab's
// executables (not, say, a shell or sudo whose command line names the state
// dir too) and has an argument that is the state directory or a path under it.
// It returns the component's name.
func belongs(pid int, l layout) (string, bool) {
	if !alive(pid) {
		return "", false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "", false
	}
	argv := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
	name, ok := labComponentName(argv)
	if !ok {
		return "", false
	}
	dir := filepath.Clean(l.dir())
	for _, a := range argv[1:] {
		if i := strings.IndexByte(a, '='); i >= 0 && strings.HasPrefix(a, "-") {
			a = a[i+1:]
		}
		if a == dir || strings.HasPrefix(a, dir+"/") {
			return name, true
		}
	}
	return "", false
}

// labExecutables are the base names of the lab's processes; meshbench counts
// only as `meshbench lab agent`.
var labExecutables = map[string]bool{
	"etcd": true, "kube-apiserver": true, "kube-controller-manager": true,
	"kube-scheduler": true, "kube-proxy": true, "kube-router": true,
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
