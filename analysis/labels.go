package analysis

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/meshbench/meshbench/results"
)

// SourceLabels names the files of a comparison: the user's labels first (in
// file order), then the file's mesh when all its cells share one, else the
// file name without its extension. Repeated names get "#2", "#3".
func SourceLabels(paths []string, docs []*results.Document, given []string) []string {
	labels := make([]string, len(paths))
	seen := map[string]int{}
	for i, p := range paths {
		l := ""
		if i < len(given) {
			l = strings.TrimSpace(given[i])
		}
		if l == "" {
			l = singleMesh(docs[i])
		}
		if l == "" {
			l = strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		}
		seen[l]++
		if seen[l] > 1 {
			l = fmt.Sprintf("%s#%d", l, seen[l])
		}
		labels[i] = l
	}
	return labels
}

// singleMesh is the mesh label of every latency cell of d (of every cell
// when it has no latency cells), or "" when they differ.
func singleMesh(d *results.Document) string {
	mesh := ""
	latency := hasCells([]Source{{Docs: []*results.Document{d}}}, func(c *results.Cell) bool { return c.Latency != nil })
	for i := range d.Cells {
		c := &d.Cells[i]
		if latency && c.Latency == nil {
			continue
		}
		if mesh != "" && c.MeshLabel() != mesh {
			return ""
		}
		mesh = c.MeshLabel()
	}
	return mesh
}
