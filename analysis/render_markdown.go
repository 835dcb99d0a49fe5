package analysis

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// renderMarkdown writes the same blocks as the terminal table, each as a
// GitHub-flavoured markdown table under a bold title.
func renderMarkdown(w io.Writer, t *Table) error {
	bw := bufio.NewWriter(w)
	for _, l := range t.heading() {
		fmt.Fprintln(bw, mdEscape(l)+"  ")
	}
	for _, b := range t.blocks() {
		fmt.Fprintf(bw, "\n**%s**\n\n", mdEscape(b.title))
		mdRow(bw, b.header)
		sep := make([]string, len(b.header))
		for i := range sep {
			sep[i] = "---:"
		}
		sep[0] = "---"
		mdRow(bw, sep)
		for _, r := range b.rows {
			mdRow(bw, r)
		}
	}
	for _, section := range [][]string{t.verdictLines(), t.noiseFloorLines(), t.enforcementLines()} {
		if section == nil {
			continue
		}
		fmt.Fprintf(bw, "\n%s\n\n", mdEscape(section[0]))
		for _, l := range section[1:] {
			fmt.Fprintln(bw, "- "+mdEscape(strings.TrimSpace(l)))
		}
	}
	fmt.Fprintln(bw)
	for _, l := range t.legend() {
		fmt.Fprintln(bw, mdEscape(l)+"  ")
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(bw, "\nNotes:")
		fmt.Fprintln(bw)
		for _, n := range t.Notes {
			fmt.Fprintln(bw, "- "+mdEscape(n))
		}
	}
	return bw.Flush()
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
