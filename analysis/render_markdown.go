package analysis

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// renderMarkdown writes the same sections as the terminal report, each grid
// a GitHub-flavoured markdown table under a bold title, each list a bullet
// list.
func renderMarkdown(w io.Writer, v View) error {
	bw := bufio.NewWriter(w)
	walk(v, markdownWriter{bw})
	return bw.Flush()
}

type markdownWriter struct{ w *bufio.Writer }

func (m markdownWriter) section(i int, _ Section) {
	if i > 0 {
		fmt.Fprintln(m.w)
	}
}

// heading lines end in two spaces: a markdown line break.
func (m markdownWriter) heading(lines []string) {
	for _, l := range lines {
		fmt.Fprintln(m.w, mdEscape(l)+"  ")
	}
}

func (m markdownWriter) grid(g Grid) {
	fmt.Fprintf(m.w, "\n**%s**\n\n", mdEscape(g.Title))
	mdRow(m.w, g.Header)
	sep := make([]string, len(g.Header))
	for i := range sep {
		sep[i] = "---:"
	}
	sep[0] = "---"
	mdRow(m.w, sep)
	for _, r := range g.Rows {
		mdRow(m.w, r)
	}
}

func (m markdownWriter) list(l List) {
	fmt.Fprintf(m.w, "\n%s\n\n", mdEscape(l.Title))
	m.bullets(l.Items)
}

func (m markdownWriter) legend(lines []string) {
	fmt.Fprintln(m.w)
	m.heading(lines)
}

func (m markdownWriter) notes(notes []string) {
	fmt.Fprintln(m.w, "\nNotes:")
	fmt.Fprintln(m.w)
	m.bullets(notes)
}

func (m markdownWriter) bullets(items []string) {
	for _, item := range items {
		fmt.Fprintln(m.w, "- "+mdEscape(item))
	}
}

func mdRow(w io.Writer, cells []string) {
	esc := make([]string, len(cells))
	for i, c := range cells {
		esc[i] = mdEscape(c)
	}
	fmt.Fprintln(w, "| "+strings.Join(esc, " | ")+" |")
}

// mdEscape keeps cell text literal: pipes would split a cell, and * would
// start emphasis.
var mdReplacer = strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`)

func mdEscape(s string) string { return mdReplacer.Replace(s) }
