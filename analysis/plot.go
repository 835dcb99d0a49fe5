package analysis

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/meshbench/meshbench/internal/atomicfile"
)

// PlotFormats are the image formats Plot writes, by file extension.
var PlotFormats = []string{"png", "svg", "pdf"}

// PlotFormat returns the image format of path from its extension, or false.
func PlotFormat(path string) (string, bool) {
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(path), "."))
	for _, f := range PlotFormats {
		if ext == f {
			return f, true
		}
	}
	return "", false
}

// Plot draws t to path (.png, .svg or .pdf): on the left the verdict
// statistic in ms against the step, one line per size; on the right the
// overhead against the baseline in percent with its confidence interval.
// Numeric steps (policy counts) are spaced by value, others evenly.
func Plot(t *Table, path string) error {
	format, ok := PlotFormat(path)
	if !ok {
		return fmt.Errorf("%s: want a .png, .svg or .pdf file", path)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return PlotTo(w, t, format) })
}

// PlotTo draws t as Plot does, in format ("png", "svg" or "pdf", as
// PlotFormat returns it), to out.
func PlotTo(out io.Writer, t *Table, format string) error {
	xs, ticks := t.plotX()
	abs := plot.New()
	abs.Title.Text = fmt.Sprintf("Request duration (%s)", t.Statistic)
	abs.Y.Label.Text = "ms"
	pct := plot.New()
	pct.Title.Text = fmt.Sprintf("Overhead vs %s (%s, %.0f%% CI)", t.baselineName(), t.Statistic, 100*t.Confidence)
	pct.Y.Label.Text = "%"
	for _, p := range []*plot.Plot{abs, pct} {
		p.X.Label.Text = t.RowTitle
		p.X.Tick.Marker = ticks
		p.Legend.Top = true
		p.Legend.Left = true
		p.Add(plotter.NewGrid())
	}
	for si, size := range t.Sizes {
		var line plotter.XYs
		var over plotErrs
		for ri, r := range t.Rows {
			c := &r.Cells[si]
			if !c.Reported() {
				continue
			}
			line = append(line, plotter.XY{X: xs[ri], Y: float64(pick(c.Summary, t.Statistic)) / 1e6})
			switch {
			case r.Baseline:
				over.add(xs[ri], 0, 0, 0)
			case c.Overhead != nil && c.Overhead.By(t.Statistic).Valid():
				d := c.Overhead.By(t.Statistic)
				over.add(xs[ri], d.Percent, d.PercentCILow, d.PercentCIHigh)
			}
		}
		if err := addSeries(abs, si, size.Label, line); err != nil {
			return err
		}
		if err := addSeries(pct, si, size.Label, over.XYs); err != nil {
			return err
		}
		if len(over.XYs) > 0 {
			bars, err := plotter.NewYErrorBars(over)
			if err != nil {
				return err
			}
			bars.Color = plotutil.Color(si)
			pct.Add(bars)
		}
	}

	// Headroom above the data for the legend.
	for _, p := range []*plot.Plot{abs, pct} {
		p.Y.Max += 0.3 * (p.Y.Max - p.Y.Min)
	}

	const w, h = 28 * vg.Centimeter, 11 * vg.Centimeter
	img, err := draw.NewFormattedCanvas(w, h, format)
	if err != nil {
		return err
	}
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadX: vg.Centimeter, PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3}
	canvases := plot.Align([][]*plot.Plot{{abs, pct}}, tiles, draw.New(img))
	abs.Draw(canvases[0][0])
	pct.Draw(canvases[0][1])

	_, err = img.WriteTo(out)
	return err
}

func addSeries(p *plot.Plot, i int, name string, xys plotter.XYs) error {
	if len(xys) == 0 {
		return nil
	}
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return err
	}
	l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
	pts.Shape = plotutil.Shape(i)
	p.Add(l, pts)
	p.Legend.Add(name, l, pts)
	return nil
}

// plotX places the rows on the x axis: by value when every step is a
// number, else one slot per row, with the row labels as ticks.
func (t *Table) plotX() ([]float64, plot.Ticker) {
	xs := make([]float64, len(t.Rows))
	numeric := t.RowTitle == "policies"
	var ticks plot.ConstantTicks
	for i, r := range t.Rows {
		xs[i] = float64(i)
		if numeric {
			n, err := strconv.Atoi(r.Step)
			if err != nil {
				numeric = false
			} else {
				xs[i] = float64(n)
			}
		}
		ticks = append(ticks, plot.Tick{Value: xs[i], Label: r.Label})
	}
	if numeric {
		return xs, plot.DefaultTicks{}
	}
	for i := range xs {
		xs[i] = float64(i)
		ticks[i].Value = float64(i)
	}
	return xs, ticks
}

// plotErrs are points with asymmetric vertical intervals.
type plotErrs struct {
	plotter.XYs
	errs plotter.YErrors
}

func (e *plotErrs) add(x, y, lo, hi float64) {
	e.XYs = append(e.XYs, plotter.XY{X: x, Y: y})
	e.errs = append(e.errs, struct{ Low, High float64 }{y - lo, hi - y})
}

func (e plotErrs) YError(i int) (float64, float64) { return e.errs[i].Low, e.errs[i].High }
