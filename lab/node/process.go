package node

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// ProcessSpec is one run of a container: a command started inside a pod's
// network namespace, in a process group of its own, its output going to a
// log file.
type ProcessSpec struct {
	Netns string // the pod's network namespace (a lab netns)
	// HostNetwork starts the process in the agent's own namespace, the
	// node's, in place of Netns.
	HostNetwork bool
	Path        string   // absolute path of the program
	Args        []string // arguments after the program
	Env         []string // the whole environment, KEY=VALUE
	Dir         string   // working directory; empty for the log file's directory
	LogPath     string   // stdout and stderr; an existing file is kept as LogPath+".previous"
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

// StartProcess starts spec inside the pod's namespace (forked from a thread
// that entered it), in a process group of its own.
func StartProcess(spec ProcessSpec) (*Process, error) {
	if !spec.HostNetwork && !IsLabNetns(spec.Netns) {
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
	cmd := exec.Command(spec.Path, spec.Args...)
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
	start := func() error { return nsnet.Do(spec.Netns, cmd.Start) }
	if spec.HostNetwork {
		start = cmd.Start
	}
	if err := start(); err != nil {
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
