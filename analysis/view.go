package analysis

// View is a report laid out for reading, built once from the Report: its
// sections, each of titled grids, lists, a legend, notes and tidy records.
// Every output format is a reporter over one View (and the Report's numbers
// for JSON), so the formats cannot disagree on what a report says.
type View struct {
	// Title says what was measured, from the documents' facts.
	Title    string
	Facts    *Facts
	Sections []Section
}

// Section is one measurement's tables: latency, throughput, rtt or cpu.
type Section struct {
	Name    string
	Heading []string
	Grids   []Grid
	// Lists are what is said in words: verdicts, the noise floor,
	// enforcement per step.
	Lists  []List
	Legend []string
	Notes  []string
	// Records are the section as tidy data, Records[0] the header.
	Records [][]string
}

// Grid is one titled table: Rows align with Header.
type Grid struct {
	Title  string
	Header []string
	Rows   [][]string
}

// List is a titled list of statements.
type List struct {
	Title string
	Items []string
}

// newGrid starts a grid whose first column names the rows.
func newGrid(title, rowTitle string, columns []string) Grid {
	return Grid{Title: title, Header: append([]string{rowTitle}, columns...)}
}

func (g *Grid) add(label string, cells []string) {
	g.Rows = append(g.Rows, append([]string{label}, cells...))
}

// View lays the report out: latency, then throughput, round trips and CPU.
func (r *Report) View() View {
	v := View{Facts: r.Facts}
	if r.Facts != nil {
		v.Title = r.Facts.Title()
	}
	if r.Latency != nil {
		v.Sections = append(v.Sections, r.Latency.section())
	}
	if r.Throughput != nil {
		v.Sections = append(v.Sections, r.Throughput.section())
	}
	if r.RTT != nil {
		v.Sections = append(v.Sections, r.RTT.section())
	}
	if r.CPU != nil {
		v.Sections = append(v.Sections, r.CPU.section())
	}
	if r.Datapath != nil {
		v.Sections = append(v.Sections, r.Datapath.section())
	}
	if r.DatapathCRR != nil {
		v.Sections = append(v.Sections, r.DatapathCRR.section())
	}
	// The header says what was measured where: the placement above all, a
	// cross-node figure and a same-node one are different answers.
	if r.Facts != nil && len(v.Sections) > 0 && v.Title != "meshbench" {
		header := []string{"Measured: " + v.Title}
		for _, w := range r.Facts.Where() {
			header = append(header, "Nodes: "+w)
		}
		v.Sections[0].Heading = append(header, v.Sections[0].Heading...)
	}
	return v
}
