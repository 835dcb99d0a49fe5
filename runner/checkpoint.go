package runner

import (
	"fmt"

	"github.com/meshbench/meshbench/results"
)

// record adds a measured step's cells to the run's document and hands the
// document to the checkpoint, so what a step measured survives whatever
// ends the run later.
func (r *run) record(cells []results.Cell) error {
	r.doc.Cells = append(r.doc.Cells, cells...)
	if r.cfg.Checkpoint == nil {
		return nil
	}
	if err := r.cfg.Checkpoint(r.doc); err != nil {
		return fmt.Errorf("saving the results of the steps measured so far: %w", err)
	}
	return nil
}
