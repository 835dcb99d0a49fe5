package analysis

// sectionWriter is one text format's way of writing the parts of a view;
// walk visits them in the one order every format shares.
type sectionWriter interface {
	// section starts section i (0 is the first).
	section(i int, s Section)
	heading(lines []string)
	grid(g Grid)
	list(l List)
	legend(lines []string)
	notes(notes []string)
}

func walk(v View, w sectionWriter) {
	for i, s := range v.Sections {
		w.section(i, s)
		w.heading(s.Heading)
		for _, g := range s.Grids {
			w.grid(g)
		}
		for _, l := range s.Lists {
			w.list(l)
		}
		if len(s.Legend) > 0 {
			w.legend(s.Legend)
		}
		if len(s.Notes) > 0 {
			w.notes(s.Notes)
		}
	}
}
