package node

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// ProcessSpec is one run of a container: a command started inside a pod's
// network namespace, in a process group of its own, its output going to a
// log file.
type ProcessSpec struct {
	Netns   string   // the pod's network namespace (a lab netns)
	Path    string   // absolute path of the program
	Args    []string // arguments after the program
	Env     []string // the whole environment, KEY=VALUE
	Dir     string   // working directory; empty for the log file's directory
	LogPath string   // stdout and stderr; an existing file is kept as LogPath+".previous"
}

// Process is a started container process.
type Process struct {
	cmd      *exec.Cmd
	started  time.Time
	done     chan struct{}
	mu       sync.Mutex
	finished time.Time
	exitCode int
	signal   string
}

// StartProcess starts spec through `ip netns exec`, which enters the
// namespace and then executes the program in its own place, so the process
// is the program itself and leads its own process group.
func StartProcess(spec ProcessSpec) (*Process, error) {
	if !IsLabNetns(spec.Netns) {
		return nil, fmt.Errorf("refusing netns %q: not named by the lab", spec.Netns)
	}
	if !filepath.IsAbs(spec.Path) {
		return nil, fmt.Errorf("program %q: want an absolute path", spec.Path)
	}
	if err := os.MkdirAll(filepath.Dir(spec.LogPath), 0o700); err != nil {
		return nil, err
	}
	if _, err := os.Stat(spec.LogPath); err == nil {
		if err := os.Rename(spec.LogPath, spec.LogPath+".previous"); err != nil {
			return nil, err
		}
	}
	logf, err := os.OpenFile(spec.LogPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close() // the child holds its own copy
	args := append([]string{"netns", "exec", spec.Netns, spec.Path}, spec.Args...)
	cmd := exec.Command("ip", args...)
	cmd.Env = spec.Env
	if cmd.Env == nil {
		cmd.Env = []string{}
	}
	cmd.Dir = spec.Dir
	if cmd.Dir == "" {
		cmd.Dir = filepath.Dir(spec.LogPath)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{cmd: cmd, started: time.Now(), done: make(chan struct{})}
	go p.wait()
	return p, nil
}

func (p *Process) wait() {
	err := p.cmd.Wait()
	// What the program left behind in its group goes with it, as the rest of
	// a container goes when its main process ends.
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	p.mu.Lock()
	p.finished = time.Now()
	p.exitCode = 0
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			p.exitCode = 128 + int(ws.Signal())
			p.signal = ws.Signal().String()
		} else {
			p.exitCode = ee.ExitCode()
		}
	} else if err != nil {
		p.exitCode = 128
	}
	p.mu.Unlock()
	close(p.done)
}

// Pid is the process id (also its process group id).
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// StartedAt is when the process started.
func (p *Process) StartedAt() time.Time { return p.started }

// Done is closed when the process has ended.
func (p *Process) Done() <-chan struct{} { return p.done }

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Result is the exit code (128+signal when killed by one), the signal name
// if any, and when the process ended; valid once Done is closed.
func (p *Process) Result() (exitCode int, signal string, finished time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exitCode, p.signal, p.finished
}

// Stop sends SIGTERM to the process group, and SIGKILL if it is still
// running after grace. It returns once the process has ended.
func (p *Process) Stop(grace time.Duration) {
	if p.Exited() {
		return
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGTERM)
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-p.done:
		return
	case <-t.C:
	}
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	<-p.done
}

// KillNetnsProcesses SIGKILLs every process whose network namespace is the
// named lab netns, whoever started it (a process left by an agent that
// crashed included), and waits up to 5 s for them to go. It returns how many
// it signalled.
func KillNetnsProcesses(netns string) int {
	if !IsLabNetns(netns) {
		return 0
	}
	var want syscall.Stat_t
	if err := syscall.Stat(filepath.Join(netnsDir, netns), &want); err != nil {
		return 0
	}
	killed := 0
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := netnsPids(want.Dev, want.Ino)
		if len(pids) == 0 || time.Now().After(deadline) {
			return killed
		}
		for _, pid := range pids {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// netnsPids lists the processes whose network namespace is the file with
// this device and inode.
func netnsPids(dev, ino uint64) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", e.Name(), "ns", "net"), &st) != nil {
			continue
		}
		if st.Dev == dev && st.Ino == ino && !isZombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// isZombie is true for a process that has ended but not been reaped; it
// holds no namespace any more and cannot be killed again.
func isZombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses, which may itself
	// hold spaces or parentheses: look after the last ')'.
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			return i+2 < len(b) && b[i+2] == 'Z'
		}
	}
	return false
}
