package analysis

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"
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

// Sizes of a drawn figure: one row of panels, its title above, its legend
// in a column of its own at the right so it never covers data.
const (
	figureWidth  = 30 * vg.Centimeter
	figureHeight = 10 * vg.Centimeter
	titleBand    = 8 * vg.Millimeter
	legendWidth  = 4 * vg.Centimeter
)

// Plot draws figs one below the other into one image at path (.png, .svg or
// .pdf), written through a temporary file so a failed plot leaves an
// existing file as it was.
func Plot(figs []Figure, path string) error {
	format, ok := PlotFormat(path)
	if !ok {
		return fmt.Errorf("%s: want a .png, .svg or .pdf file", path)
	}
	return atomicfile.Write(path, func(w io.Writer) error { return PlotTo(w, figs, format) })
}

// PlotTo draws figs as Plot does, in format ("png", "svg" or "pdf", as
// PlotFormat returns it), to out.
func PlotTo(out io.Writer, figs []Figure, format string) error {
	_, err := drawFigures(out, figs, format)
	return err
}

// WriteSVG draws one figure as an SVG document, for pages that inline it.
func WriteSVG(w io.Writer, f Figure) error {
	_, err := drawFigures(w, []Figure{f}, "svg")
	return err
}

// drawnPanel is where a panel's data landed on the image: the transforms
// from data to image coordinates (points from the bottom left), for tests
// that read the drawn image back.
type drawnPanel struct {
	figure, panel int
	x, y          func(float64) vg.Length
}

func drawFigures(w io.Writer, figs []Figure, format string) ([]drawnPanel, error) {
	if len(figs) == 0 {
		return nil, fmt.Errorf("nothing to plot")
	}
	img, err := draw.NewFormattedCanvas(figureWidth, figureHeight*vg.Length(len(figs)), format)
	if err != nil {
		return nil, err
	}
	dc := draw.New(img)
	var drawn []drawnPanel
	for fi, f := range figs {
		// Figure fi takes the fi-th band from the top.
		top := vg.Length(fi) * figureHeight
		band := draw.Crop(dc, 0, 0, figureHeight*vg.Length(len(figs)-fi-1), -top)
		d, err := drawFigure(band, f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		for _, p := range d {
			p.figure = fi
			drawn = append(drawn, p)
		}
	}
	if _, err := img.WriteTo(w); err != nil {
		return nil, err
	}
	return drawn, nil
}

func drawFigure(c draw.Canvas, f Figure) ([]drawnPanel, error) {
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	titleStyle := legend.TextStyle
	titleStyle.Font.Size = vg.Points(11)
	titleStyle.XAlign = draw.XCenter
	titleStyle.YAlign = draw.YTop
	c.FillText(titleStyle, vg.Point{X: c.Center().X, Y: c.Max.Y - 2*vg.Millimeter}, f.Title)

	var plots []*plot.Plot
	for _, p := range f.Panels {
		pl, err := panelPlot(p, &legend, len(plots) == 0)
		if err != nil {
			return nil, err
		}
		plots = append(plots, pl)
	}
	if f.SameY {
		lo, hi := plots[0].Y.Min, plots[0].Y.Max
		for _, pl := range plots {
			lo, hi = min(lo, pl.Y.Min), max(hi, pl.Y.Max)
		}
		for _, pl := range plots {
			pl.Y.Min, pl.Y.Max = lo, hi
		}
	}
	area := draw.Crop(c, 0, -legendWidth, 0, -titleBand)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Centimeter, PadTop: 2 * vg.Millimeter,
		PadBottom: 2 * vg.Millimeter, PadLeft: 2 * vg.Millimeter, PadRight: 2 * vg.Millimeter}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, area)
	var drawn []drawnPanel
	for i, pl := range plots {
		pl.Draw(canvases[0][i])
		dataCanvas := pl.DataCanvas(canvases[0][i])
		x, y := pl.Transforms(&dataCanvas)
		drawn = append(drawn, drawnPanel{panel: i, x: x, y: y})
	}
	legendArea := draw.Crop(c, c.Max.X-c.Min.X-legendWidth+3*vg.Millimeter, 0, 0, -titleBand-5*vg.Millimeter)
	legend.Draw(legendArea)
	return drawn, nil
}

// panelPlot builds one panel; the first panel's series name the legend.
func panelPlot(p Panel, legend *plot.Legend, addLegend bool) (*plot.Plot, error) {
	pl := plot.New()
	pl.Title.Text = p.Title
	pl.Title.TextStyle.Font.Size = vg.Points(9)
	pl.X.Label.Text = p.XLabel
	pl.Y.Label.Text = p.YLabel
	if p.Ticks != nil {
		var ticks plot.ConstantTicks
		for _, t := range p.Ticks {
			ticks = append(ticks, plot.Tick{Value: t.X, Label: t.Label})
		}
		pl.X.Tick.Marker = ticks
		pl.X.Min, pl.X.Max = -0.5, float64(len(p.Ticks))-0.5
	}
	pl.Add(plotter.NewGrid())
	if p.ZeroLine {
		zero := plotter.NewFunction(func(float64) float64 { return 0 })
		zero.Color = color.Gray{Y: 96}
		zero.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
		pl.Add(zero)
	}
	for i, s := range p.Series {
		line, points, err := seriesPlotters(i, s)
		if err != nil {
			return nil, err
		}
		if line == nil {
			continue
		}
		pl.Add(line, points)
		if bars := ciBars(i, s); bars != nil {
			pl.Add(bars)
		}
		if addLegend {
			legend.Add(s.Name, line, points)
		}
	}
	return pl, nil
}

func seriesPlotters(i int, s Series) (*plotter.Line, *plotter.Scatter, error) {
	if len(s.Points) == 0 {
		return nil, nil, nil
	}
	xys := make(plotter.XYs, len(s.Points))
	for j, pt := range s.Points {
		xys[j] = plotter.XY{X: pt.X, Y: pt.Y}
	}
	l, pts, err := plotter.NewLinePoints(xys)
	if err != nil {
		return nil, nil, err
	}
	l.Color, pts.Color = plotutil.Color(i), plotutil.Color(i)
	pts.Shape = plotutil.Shape(i)
	return l, pts, nil
}

// ciBars are the series' confidence intervals as vertical bars.
func ciBars(i int, s Series) *plotter.YErrorBars {
	var e intervals
	for _, pt := range s.Points {
		if pt.HasCI {
			e = append(e, pt)
		}
	}
	if len(e) == 0 {
		return nil
	}
	bars, err := plotter.NewYErrorBars(e)
	if err != nil {
		return nil
	}
	bars.Color = plotutil.Color(i)
	return bars
}

// intervals are points with their asymmetric vertical intervals.
type intervals []Point

func (e intervals) Len() int                        { return len(e) }
func (e intervals) XY(i int) (float64, float64)     { return e[i].X, e[i].Y }
func (e intervals) YError(i int) (float64, float64) { return e[i].Y - e[i].Lo, e[i].Hi - e[i].Y }
