package analysis

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
)

// FlagMeanings explain every cell flag in words, for readers of a report.
var FlagMeanings = []struct{ Flag, Meaning string }{
	{FlagBehind, "the client could not keep the asked rate, so the cell's numbers do not describe the asked load; not reported"},
	{FlagEmpty, "no request of the cell succeeded; not reported"},
	{FlagErrors, "some requests failed; the figures describe the others"},
	{FlagConnections, "with keep-alive off the server counted fewer new connections than requests, so some requests did not pay for a connection"},
	{FlagUnenforced, "the run could not confirm the step's policies were enforced before measuring it"},
}

//go:embed report.css
var reportCSS string

//go:embed report.html.tmpl
var reportTemplate string

var htmlPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(reportTemplate))

// htmlFigure is one figure drawn as inline SVG.
type htmlFigure struct {
	Title string
	SVG   template.HTML
}

// renderHTML writes one self-contained page: the run's facts, the verdicts
// in plain words, the figures as inline SVG, every table and list of the
// view, the flags explained. It loads nothing: no script, no stylesheet,
// no image from anywhere else.
func renderHTML(w io.Writer, r *Report, v View) error {
	figs, err := r.Figures(r.Plot)
	if err != nil {
		return err
	}
	var drawn []htmlFigure
	for _, f := range figs {
		var b bytes.Buffer
		if err := WriteSVG(&b, f); err != nil {
			return err
		}
		drawn = append(drawn, htmlFigure{Title: f.Title, SVG: template.HTML(inlineSVG(b.String()))})
	}
	var verdicts []string
	if r.Latency != nil {
		verdicts = r.Latency.plainVerdicts()
	}
	return htmlPage.Execute(w, map[string]any{
		"CSS":      template.CSS(reportCSS),
		"Title":    v.Title,
		"Facts":    v.Facts,
		"Verdicts": verdicts,
		"Figures":  drawn,
		"Sections": v.Sections,
		"Flags":    FlagMeanings,
	})
}

// inlineSVG drops the XML prologue of a standalone SVG file: inside an
// HTML page the <svg> element stands on its own.
func inlineSVG(s string) string {
	if i := strings.Index(s, "<svg"); i >= 0 {
		s = s[i:]
	}
	return s
}

// plainVerdicts say the latency verdicts in sentences a reader who does not
// know the statistics can follow.
func (t *Table) plainVerdicts() []string {
	paired := t.hasPaired()
	of := func(c *Cell) *Overhead { return c.Overhead }
	than := "than at " + t.baselineName() + " (measured in another window, so drift between the windows is part of it)"
	none := "no difference from " + t.baselineName() + " stands out from the noise at any size (measured in another window)."
	if paired {
		of = func(c *Cell) *Overhead { return c.Paired }
		than = "than the control server measured at the same moment"
		none = "no difference from the control server measured at the same moment stands out from the noise at any size."
	}
	var out []string
	for _, r := range t.Rows {
		if r.Baseline && (!paired || t.NoiseFloor != nil) {
			continue
		}
		var real, noise []string
		for i := range r.Cells {
			c := &r.Cells[i]
			if !c.Reported() || of(c) == nil || !of(c).By(t.Statistic).Valid() {
				continue
			}
			d := of(c).By(t.Statistic)
			if !d.Significant {
				noise = append(noise, c.Size)
				continue
			}
			more := "longer"
			if d.Diff < 0 {
				more = "shorter"
			}
			real = append(real, fmt.Sprintf("at %s the %s request took %s ms (%.1f%%) %s", c.Size, t.Statistic, strings.TrimPrefix(signedMs(d.Diff), "+"), math.Abs(d.Percent), more))
		}
		switch {
		case len(real) > 0:
			s := fmt.Sprintf("%s: %s %s; the confidence interval excludes no change, so the difference is real.", r.Label, strings.Join(real, ", "), than)
			if len(noise) > 0 {
				s += " At " + strings.Join(noise, ", ") + " the difference is within the noise."
			}
			out = append(out, s)
		case len(noise) > 0:
			out = append(out, r.Label+": "+none)
		}
	}
	return out
}
