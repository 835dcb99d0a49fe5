package analysis

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// renderText writes the table for a terminal: the heading, one aligned grid
// per block, the noise floor, the legend and the notes.
func renderText(w io.Writer, t *Table) error {
	bw := bufio.NewWriter(w)
	for _, l := range t.heading() {
		fmt.Fprintln(bw, l)
	}
	for _, b := range t.blocks() {
		fmt.Fprintln(bw)
		fmt.Fprintln(bw, b.title)
		tw := tabwriter.NewWriter(bw, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, strings.Join(b.header, "\t")+"\t")
		for _, r := range b.rows {
			fmt.Fprintln(tw, strings.Join(r, "\t")+"\t")
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	for _, section := range [][]string{t.verdictLines(), t.noiseFloorLines(), t.enforcementLines()} {
		if section == nil {
			continue
		}
		fmt.Fprintln(bw)
		for _, l := range section {
			fmt.Fprintln(bw, l)
		}
	}
	fmt.Fprintln(bw)
	for _, l := range t.legend() {
		fmt.Fprintln(bw, l)
	}
	if len(t.Notes) > 0 {
		fmt.Fprintln(bw, "Notes:")
		for _, n := range t.Notes {
			fmt.Fprintln(bw, "  - "+n)
		}
	}
	return bw.Flush()
}
