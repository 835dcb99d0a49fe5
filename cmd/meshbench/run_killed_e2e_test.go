package main

import (
	"bufio"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/results"
)

// A run SIGKILLed in the middle of its third step leaves a results document
// with every step it completed, which report reads; `meshbench cleanup
// --run ID` then removes what the run left on the cluster.
func TestKilledRunLeavesEveryCompletedStep(t *testing.T) {
	l := labtest.Up(t)
	path := filepath.Join(t.TempDir(), "run.json")
	runID := fmt.Sprintf("killed%d", time.Now().UnixNano()%1_000_000)
	run := meshbenchProcess(t, "run", "--kubeconfig", l.Kubeconfig(), "--run-id", runID, "--policies", "0,5,10",
		"--sizes", ".5k", "--requests", "300", "--rate", "100", "--warmup", "5", "--results", path)
	stderr, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = run.Process.Kill() }()
	killed := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Split(scanLinesOrCR)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "step 3/3") {
				_ = run.Process.Signal(syscall.SIGKILL)
				killed <- true
				return
			}
		}
		killed <- false
	}()
	select {
	case ok := <-killed:
		if !ok {
			t.Fatal("the run ended before its third step")
		}
	case <-time.After(5 * time.Minute):
		t.Fatal("the run did not reach its third step in 5 minutes")
	}
	_ = run.Wait()

	doc, err := results.ReadFile(path)
	if err != nil {
		t.Fatalf("the killed run's document: %v", err)
	}
	steps := map[string]int{}
	for _, c := range doc.Cells {
		steps[c.Step]++
	}
	if steps["0"] != 2 || steps["5"] != 2 || steps["10"] != 0 {
		t.Errorf("cells per step %v: want steps 0 and 5 with both arms, nothing of step 10", steps)
	}
	out, err := meshbenchProcess(t, "report", path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Target over control") {
		t.Errorf("report of the killed run's document: %v\n%s", err, out)
	}

	if out, err := meshbenchProcess(t, "cleanup", "--kubeconfig", l.Kubeconfig(), "--run", runID).CombinedOutput(); err != nil {
		t.Fatalf("cleanup --run %s: %v\n%s", runID, err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	left, err := labtest.ClusterClient(t).Leftovers(ctx, runID)
	if err != nil || len(left) > 0 {
		t.Errorf("after cleanup: %v %v", left, err)
	}
}

// scanLinesOrCR splits on newlines and carriage returns (a progress bar
// rewrites its line).
func scanLinesOrCR(data []byte, atEOF bool) (int, []byte, error) {
	for i, b := range data {
		if b == '\n' || b == '\r' {
			return i + 1, data[:i], nil
		}
	}
	if atEOF && len(data) > 0 {
		return len(data), data, nil
	}
	return 0, nil, nil
}
