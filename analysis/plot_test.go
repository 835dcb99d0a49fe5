package analysis

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/meshbench/meshbench/results"
)

func TestPlotWritesImages(t *testing.T) {
	doc := runDocument(90, "", []int{0, 50, 200}, map[int]time.Duration{200: 60 * time.Microsecond})
	tab, err := BuildTable([]Source{{Docs: []*results.Document{doc}}}, TableOptions{Compare: testResamples})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "t.png"), filepath.Join(dir, "t.svg")
	if err := Plot(tab, pngPath); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("png does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 200 {
		t.Errorf("png is %v", b)
	}
	if err := Plot(tab, svgPath); err != nil {
		t.Fatal(err)
	}
	svg, _ := os.ReadFile(svgPath)
	for _, want := range []string{"<svg", ".5k", "1M", "Overhead vs 0 policies"} {
		if !bytes.Contains(svg, []byte(want)) {
			t.Errorf("svg lacks %q", want)
		}
	}
	if err := Plot(tab, filepath.Join(dir, "t.gif")); err == nil {
		t.Error("a .gif plot was accepted")
	}
}
