package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An engine up does not know, or Cilium's engine not built, is bad input:
// one line naming --engine or the make target to run, exit 2, and no state
// directory made.
func TestLabUpEngineRefusals(t *testing.T) {
	stateDir := filepath.Join(t.TempDir(), "state")
	code, stderr := run(t, "lab", "--state-dir", stateDir, "up", "--engine", "calico")
	line := strings.TrimSpace(stderr)
	if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, `--engine "calico"`) || !strings.Contains(line, "kube-router, cilium") {
		t.Errorf("up --engine calico: exit %d, stderr %q; want exit 2 and one line naming --engine and the engines", code, stderr)
	}
	if os.Geteuid() != 0 {
		t.Skip("the missing-binaries refusal comes after the root check")
	}
	// A bin dir without Cilium's build.
	t.Setenv("MESHBENCH_LAB_BIN", t.TempDir())
	code, stderr = run(t, "lab", "--state-dir", stateDir, "up", "--engine", "cilium")
	line = strings.TrimSpace(stderr)
	if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "cilium-agent, cilium-cni") || !strings.Contains(line, "make lab-cilium") {
		t.Errorf("up --engine cilium without its binaries: exit %d, stderr %q; want exit 2 and one line saying to run make lab-cilium", code, stderr)
	}
	if _, err := os.Stat(stateDir); err == nil {
		t.Errorf("a refused up made its state directory %s", stateDir)
	}
}
