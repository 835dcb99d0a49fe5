package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With no kubeconfig at all, commands that need a cluster say so and how to
// point at one, instead of trying http://localhost:8080.
func TestNoClusterConfiguredIsBadInput(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, nil, 0o600)
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	for _, kubeconfig := range []string{empty, filepath.Join(dir, "missing")} {
		t.Setenv("KUBECONFIG", kubeconfig)
		for _, args := range [][]string{{"detect"}, {"cleanup"}, {"run", "--policies", "0"}} {
			code, stderr := run(t, args...)
			line := strings.TrimSpace(stderr)
			if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "no cluster configured") || !strings.Contains(line, "--kubeconfig") {
				t.Errorf("KUBECONFIG=%s %v: exit %d, stderr %q; want exit 2 and one line saying no cluster is configured and how to set one",
					filepath.Base(kubeconfig), args, code, stderr)
			}
		}
	}
}

// unreachableKubeconfig is a kubeconfig whose cluster listens nowhere: a
// command that got past its flag checks fails with exit 1.
func unreachableKubeconfig(t *testing.T) string {
	path := filepath.Join(t.TempDir(), "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "%s"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`, closedURL(t))
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// run checks every flag, with load's rules and messages, before it contacts
// the cluster.
func TestRunChecksEveryFlagBeforeTheCluster(t *testing.T) {
	kubeconfig := unreachableKubeconfig(t)
	if code, stderr := run(t, "run", "--kubeconfig", kubeconfig, "--policies", "0"); code != 1 {
		t.Fatalf("a valid run against a closed port: exit %d (%s); want 1", code, stderr)
	}
	for _, c := range []struct {
		args []string
		flag string
	}{
		{[]string{"--rate", "NaN"}, "--rate"},
		{[]string{"--rate", "1000000000"}, "--rate"},
		{[]string{"--sizes", "100G"}, "--sizes"},
		{[]string{"--warmup", "-1"}, "--warmup"},
		{[]string{"--rounds", "0"}, "--rounds"},
		{[]string{"--timeout", "0s"}, "--timeout"},
		{[]string{"--pod-timeout", "0s"}, "--pod-timeout"},
		{[]string{"--enforce-timeout", "0s"}, "--enforce-timeout"},
		{[]string{"--image", ""}, "--image"},
		{[]string{"-n", "Bad_Namespace"}, "--namespace"},
		{[]string{"--requests", "1000000000000"}, "--requests"},
		{[]string{"--measure", "rtt", "--rtt-requests", "1000000000000"}, "--rtt-requests"},
	} {
		args := append([]string{"run", "--kubeconfig", kubeconfig}, c.args...)
		code, stderr := run(t, args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, c.flag) {
			t.Errorf("run %v: exit %d, stderr %q; want exit 2 and one line naming %s", c.args, code, stderr, c.flag)
		}
	}
	// The same settings give load's message word for word.
	_, loadErr := run(t, "load", "--target", "http://127.0.0.1:1", "--rate", "NaN")
	_, runErr := run(t, "run", "--kubeconfig", kubeconfig, "--rate", "NaN")
	if loadErr != runErr {
		t.Errorf("load and run say different things about --rate NaN:\n%s%s", loadErr, runErr)
	}
}

// The results file is written after every step, so a path that cannot be
// written is bad input found before the cluster is contacted.
func TestRunChecksTheResultsPathFirst(t *testing.T) {
	dir := t.TempDir()
	code, stderr := run(t, "run", "--kubeconfig", unreachableKubeconfig(t), "--results", filepath.Join(dir, "no", "such", "run.json"))
	line := strings.TrimSpace(stderr)
	if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, "--results") {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming --results", code, stderr)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("created %v", entries)
	}
}
