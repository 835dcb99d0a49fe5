package analysis

import (
	"encoding/json"
	"io"
)

// renderJSON writes the table model itself: every summary, difference, flag
// and note, for other programs.
func renderJSON(w io.Writer, t *Table) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(t)
}
