package main

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

// writeLargeDocument writes two steps of 100,000 samples per arm: a mean
// bootstrap of it at 100,000 resamples is minutes of work.
func writeLargeDocument(t *testing.T) string {
	t.Helper()
	d := results.New()
	d.Load = results.Load{Rate: 100, Requests: 100_000}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, step := range []string{"0", "100"} {
		for _, arm := range []string{results.ArmTarget, results.ArmControl} {
			s := make([]int64, 100_000)
			for i := range s {
				s[i] = 700_000 + rng.Int64N(60_000)
			}
			d.Cells = append(d.Cells, results.Cell{Step: step, Arm: arm, Size: 1000, SizeLabel: "1k",
				Latency: &results.Latency{SamplesNs: s, Requests: len(s), NewConnections: int64(len(s)), Rate: 100, AchievedRate: 100}})
		}
	}
	p := filepath.Join(t.TempDir(), "large.json")
	if err := d.WriteFile(p); err != nil {
		t.Fatal(err)
	}
	return p
}

// Ctrl-C (SIGINT) and SIGTERM stop report and compare in the middle of the
// bootstrap; they exit 1 and print no half-computed table.
func TestReportAndCompareStopOnASignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes that resample large documents")
	}
	doc := writeLargeDocument(t)
	for _, c := range []struct {
		args []string
		sig  syscall.Signal
	}{
		{[]string{"report", "--statistic", "mean", "--resamples", "100000", doc}, syscall.SIGINT},
		{[]string{"compare", "--statistic", "mean", "--resamples", "100000", doc, doc}, syscall.SIGTERM},
	} {
		p := meshbenchProcess(t, c.args...)
		var stdout, stderr bytes.Buffer
		p.Stdout, p.Stderr = &stdout, &stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- p.Wait() }()
		time.Sleep(time.Second) // into the bootstrap
		p.Process.Signal(c.sig)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			p.Process.Kill()
			<-done
			t.Fatalf("%s ignored %v: still running 20 s later", c.args[0], c.sig)
		}
		if code := p.ProcessState.ExitCode(); code != 1 || stdout.Len() != 0 || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("%s after %v: exit %d, stdout %d bytes, stderr %q; want exit 1, no table, \"interrupted\"", c.args[0], c.sig, code, stdout.Len(), stderr.String())
		}
	}
}

// --resamples beyond the cap is bad input that says the cap.
func TestResamplesBeyondTheCapAreBadInput(t *testing.T) {
	doc := writeRunDocument(t, t.TempDir(), "run.json", "", 1)
	code, stdout, stderr := runResultsCLI(t, "report", "--resamples", "100000000", doc)
	if code != 2 || stdout != "" || !strings.Contains(stderr, "--resamples") || !strings.Contains(stderr, "100000") {
		t.Errorf("exit %d, stdout %d bytes, stderr %q; want exit 2 naming --resamples and its cap", code, len(stdout), stderr)
	}
}
