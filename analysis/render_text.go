package analysis

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// renderText writes the view for a terminal: per section the heading, one
// aligned grid per table, the lists in words, the legend and the notes.
func renderText(w io.Writer, v View) error {
	tw := &textWriter{w: bufio.NewWriter(w)}
	walk(v, tw)
	if tw.err != nil {
		return tw.err
	}
	return tw.w.Flush()
}

type textWriter struct {
	w   *bufio.Writer
	err error
}

func (t *textWriter) section(i int, _ Section) {
	if i > 0 {
		fmt.Fprintln(t.w)
	}
}

func (t *textWriter) heading(lines []string) {
	for _, l := range lines {
		fmt.Fprintln(t.w, l)
	}
}

func (t *textWriter) grid(g Grid) {
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, g.Title)
	tw := tabwriter.NewWriter(t.w, 0, 0, 2, ' ', 0)
	for _, r := range append([][]string{g.Header}, g.Rows...) {
		fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil && t.err == nil {
		t.err = err
	}
}

func (t *textWriter) list(l List) {
	fmt.Fprintln(t.w)
	fmt.Fprintln(t.w, l.Title)
	for _, item := range l.Items {
		fmt.Fprintln(t.w, "  "+item)
	}
}

func (t *textWriter) legend(lines []string) {
	fmt.Fprintln(t.w)
	t.heading(lines)
}

func (t *textWriter) notes(notes []string) {
	fmt.Fprintln(t.w, "Notes:")
	for _, n := range notes {
		fmt.Fprintln(t.w, "  - "+n)
	}
}
