package runner

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/meshbench/meshbench/results"
)

func stepCells(step string) []results.Cell {
	var cells []results.Cell
	for _, arm := range []string{results.ArmTarget, results.ArmControl} {
		cells = append(cells, results.Cell{Step: step, Arm: arm, Size: 512, SizeLabel: ".5k",
			Latency: &results.Latency{SamplesNs: []int64{700_000, 710_000}, Requests: 2, NewConnections: 2, Rate: 100, AchievedRate: 100}})
	}
	return cells
}

// After every step the file holds a readable document with every step
// measured so far: what a run killed at that point leaves.
func TestEveryStepIsSavedAsItCompletes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "run.json")
	r := &run{doc: results.New(), cfg: Config{Checkpoint: func(d *results.Document) error { return d.WriteFile(path) }}}
	for i, step := range []string{"0", "10", "50"} {
		if err := r.record(stepCells(step)); err != nil {
			t.Fatal(err)
		}
		doc, err := results.ReadFile(path)
		if err != nil {
			t.Fatalf("after step %s: %v", step, err)
		}
		if len(doc.Cells) != 2*(i+1) || doc.Cells[len(doc.Cells)-1].Step != step {
			t.Fatalf("after step %s the file has %d cells", step, len(doc.Cells))
		}
	}
}

// A checkpoint that cannot be written stops the run: measuring on without
// saving would lose hours of work at the end.
func TestAFailedCheckpointStopsTheRun(t *testing.T) {
	boom := errors.New("disk full")
	r := &run{doc: results.New(), cfg: Config{Checkpoint: func(*results.Document) error { return boom }}}
	if err := r.record(stepCells("0")); !errors.Is(err, boom) {
		t.Errorf("record: %v; want the checkpoint's error", err)
	}
}
