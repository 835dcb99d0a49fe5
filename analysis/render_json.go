package analysis

import (
	"encoding/json"
	"io"
)

// renderJSON writes the report model itself, for other programs: always
// the same top level ({"facts", "latency", "throughput", "rtt", "cpu"}, a
// table the documents have no cells for is null), every summary,
// difference, flag and note inside.
func renderJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
