package lab

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Options configure a lab. The zero value is usable: every field has a
// default filled in by Start and Stop.
type Options struct {
	// StateDir holds certificates, kubeconfigs, etcd's data, logs and pid
	// files. Default: $MESHBENCH_LAB_DIR or /var/lib/meshbench/lab.
	StateDir string
	// BinDir holds kube-apiserver, kube-controller-manager, kube-scheduler,
	// kube-proxy and kube-router (`make lab`). Default: $MESHBENCH_LAB_BIN,
	// else the directory of the running meshbench if it holds them, else
	// <repo>/bin of the meshbench checkout around the working directory.
	BinDir string
	// Meshbench is the executable whose `lab agent` command runs the node.
	// Default: the running executable if it is meshbench, else
	// BinDir/meshbench.
	Meshbench string
	// Etcd is etcd's executable. Default: etcd on PATH, else /usr/bin/etcd.
	Etcd string
	// Nodes is how many nodes the lab runs (MinNodes..MaxNodes). Default
	// DefaultNodes.
	Nodes int
	// Network is how pod traffic crosses between nodes. Default
	// DefaultNetwork (routed).
	Network Network
	// Engine is the NetworkPolicy engine on every node. Default
	// EngineKubeRouter.
	Engine Engine
	// Timeout bounds the wait for the lab to become ready. Default 5 minutes.
	Timeout time.Duration
	// Progress receives one line per step; nil discards them.
	Progress io.Writer
}

func (o Options) withDefaults() Options {
	if o.StateDir == "" {
		o.StateDir = StateDirFromEnv()
	}
	if abs, err := filepath.Abs(o.StateDir); err == nil {
		o.StateDir = abs
	}
	if o.BinDir == "" {
		o.BinDir = findBinDir()
	}
	if o.Meshbench == "" {
		o.Meshbench = filepath.Join(o.BinDir, "meshbench")
		if exe, err := os.Executable(); err == nil && filepath.Base(exe) == "meshbench" {
			o.Meshbench = exe
		}
	}
	if o.Etcd == "" {
		o.Etcd = "/usr/bin/etcd"
		if p, err := exec.LookPath("etcd"); err == nil {
			o.Etcd = p
		}
	}
	if o.Nodes == 0 {
		o.Nodes = DefaultNodes
	}
	if o.Network == "" {
		o.Network = DefaultNetwork
	}
	if o.Engine == "" {
		o.Engine = EngineKubeRouter
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	return o
}

func (o Options) step(format string, a ...any) { fmt.Fprintf(o.Progress, format+"\n", a...) }

// findBinDir locates the directory of the lab's component binaries.
func findBinDir() string {
	if d := os.Getenv("MESHBENCH_LAB_BIN"); d != "" {
		return d
	}
	if exe, err := os.Executable(); err == nil {
		if _, err := os.Stat(filepath.Join(filepath.Dir(exe), apiserverName)); err == nil {
			return filepath.Dir(exe)
		}
	}
	if root, ok := repoRoot(); ok {
		return filepath.Join(root, "bin")
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Dir(exe)
	}
	return "bin"
}

// repoRoot finds the meshbench checkout containing the working directory
// (where `go test` runs a package's tests).
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && bytes.HasPrefix(bytes.TrimSpace(b), []byte("module github.com/meshbench/meshbench\n")) {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// RepoRoot is the meshbench checkout around the working directory, for
// tests that build meshbench itself.
func RepoRoot() (string, bool) { return repoRoot() }
