package analysis

import (
	"cmp"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/meshbench/meshbench/results"
)

// Cell flags.
const (
	// FlagBehind: the client could not keep the asked rate; not reported.
	FlagBehind = "behind"
	// FlagErrors: some requests failed; the numbers describe the others.
	FlagErrors = "errors"
	// FlagConnections: with keep-alive off the server saw fewer new
	// connections than requests, so some requests did not pay for a dial.
	FlagConnections = "connections"
	// FlagEmpty: the cell has no successful samples.
	FlagEmpty = "empty"
	// FlagUnenforced: the run could not confirm the step's policies were
	// enforced before measuring.
	FlagUnenforced = "unenforced"
)

type rowKey struct {
	src             int
	mesh, step, arm string
}

type cellKey struct {
	rowKey
	size int64
}

// merged is every document's samples of one cell key.
type merged struct {
	samples     []int64
	requests    int
	errors      map[string]int
	newConns    int64
	rate        float64
	achieved    float64
	behind      bool
	keepAlive   bool
	docs        int
	policies    int
	policyKind  string
	enforcement *results.Enforcement
}

// grouping is the latency cells of a set of sources, keyed for the table.
type grouping struct {
	sources []Source
	arm     string
	cells   map[cellKey]*merged
	keys    []rowKey
	sizes   []Size
	notes   []string
	loads   []string
}

func group(sources []Source, arm string) (*grouping, error) {
	g := &grouping{sources: sources, cells: map[cellKey]*merged{}}
	order := appearance{}
	arms := map[string]bool{}
	sizes := map[int64]string{}
	for si, src := range sources {
		for _, d := range src.Docs {
			g.addLoad(d.Load)
			config := d.ConfigLabeler()
			for i := range d.Cells {
				c := &d.Cells[i]
				if c.Latency == nil {
					continue
				}
				k := cellKey{rowKey{si, config(c), c.Step, c.Arm}, c.Size}
				order.see(k.rowKey)
				arms[c.Arm] = true
				if _, ok := sizes[c.Size]; !ok {
					sizes[c.Size] = cmp.Or(c.SizeLabel, strconv.FormatInt(c.Size, 10))
				}
				g.merge(k, c, d.Load.KeepAlive)
			}
		}
	}
	if len(g.cells) == 0 {
		return nil, &InputError{Msg: "no latency measurements in the given documents"}
	}
	switch {
	case arm == ArmAll:
		arm = ""
	case arm != "" && !arms[arm]:
		return nil, &InputError{"--arm", fmt.Sprintf("%q: no latency cells of that arm; arms are %s", arm, strings.Join(slices.Sorted(maps.Keys(arms)), ", "))}
	case arm == "" && arms[results.ArmTarget]:
		arm = results.ArmTarget
	case arm == "" && len(arms) == 1 && arms[results.ArmControl]:
		// Say it: rows of the control alone are not the policies' cost.
		arm = results.ArmControl
		g.notes = append(g.notes, "the documents hold only the control arm (the server no policy selects): the rows show the control, not the target")
	}
	g.arm = arm
	g.notes = append(g.notes, missingArmNotes(sources, arm, "latency", func(c *results.Cell) bool { return c.Latency != nil })...)

	keys := map[rowKey]bool{}
	for k := range g.cells {
		if arm == "" || k.arm == arm {
			keys[k.rowKey] = true
		}
	}
	g.keys = sortedRowKeys(maps.Keys(keys), order)
	for _, b := range slices.Sorted(maps.Keys(sizes)) {
		g.sizes = append(g.sizes, Size{Label: sizes[b], Bytes: b})
	}
	g.mergeNotes()
	return g, nil
}

// appearance is the order in which meshes, steps and arms first appear in
// the documents: rows keep the user's order where no number gives one.
type appearance map[string]int

func (o appearance) see(k rowKey) {
	for _, v := range []string{"mesh" + k.mesh, "step" + k.step, "arm" + k.arm} {
		if _, ok := o[v]; !ok {
			o[v] = len(o)
		}
	}
}

// sortedRowKeys orders rows by source, then mesh, step and arm in the
// order they first appeared, numeric steps by value.
func sortedRowKeys(keys iter.Seq[rowKey], order appearance) []rowKey {
	return slices.SortedFunc(keys, func(a, b rowKey) int {
		return cmp.Or(
			cmp.Compare(a.src, b.src),
			cmp.Compare(order["mesh"+a.mesh], order["mesh"+b.mesh]),
			compareSteps(a.step, b.step, order),
			cmp.Compare(order["arm"+a.arm], order["arm"+b.arm]),
		)
	})
}

// compareSteps puts numeric steps first in numeric order, then the others in
// the order they first appeared.
func compareSteps(a, b string, order appearance) int {
	na, ea := strconv.Atoi(a)
	nb, eb := strconv.Atoi(b)
	switch {
	case ea == nil && eb == nil:
		return cmp.Compare(na, nb)
	case ea == nil:
		return -1
	case eb == nil:
		return 1
	}
	return cmp.Compare(order["step"+a], order["step"+b])
}

func (g *grouping) merge(k cellKey, c *results.Cell, keepAlive bool) {
	l := c.Latency
	m := g.cells[k]
	if m == nil {
		m = &merged{errors: map[string]int{}, rate: l.Rate, achieved: l.AchievedRate, policies: c.Policies, policyKind: c.PolicyKind}
		g.cells[k] = m
	} else {
		m.achieved = min(m.achieved, l.AchievedRate)
		if l.Rate != m.rate {
			g.notes = append(g.notes, fmt.Sprintf("%s %s at %s merges cells measured at different rates (%g and %g req/s)", k.mesh, k.step, c.SizeLabel, m.rate, l.Rate))
		}
	}
	m.docs++
	m.samples = append(m.samples, l.SamplesNs...)
	m.requests += l.Requests
	for kind, n := range l.Errors {
		m.errors[kind] += n
	}
	if l.NewConnections < 0 || m.newConns < 0 {
		m.newConns = -1
	} else {
		m.newConns += l.NewConnections
	}
	m.behind = m.behind || l.Behind
	if c.Enforcement != nil && (m.enforcement == nil || !c.Enforcement.Enforced) {
		m.enforcement = c.Enforcement
	}
	m.keepAlive = m.keepAlive || keepAlive
}

func (g *grouping) mergeNotes() {
	n := 0
	for _, m := range g.cells {
		if m.docs > 1 {
			n++
		}
	}
	if n > 0 {
		g.notes = append(g.notes, fmt.Sprintf("%d cells merge the samples of several documents", n))
	}
}

func (g *grouping) addLoad(l results.Load) {
	if s := loadLine(l); !slices.Contains(g.loads, s) {
		g.loads = append(g.loads, s)
	}
}

func (g *grouping) loadLines() []string {
	if len(g.loads) > 1 {
		g.notes = append(g.notes, "the documents differ in load settings: the rate and the connection mode change the answer, so compare like with like")
	}
	return g.loads
}

// varying reports which parts of the row keys differ between rows.
func (g *grouping) varying() (src, mesh, step, arm bool) {
	first := g.keys[0]
	for _, k := range g.keys[1:] {
		src = src || k.src != first.src
		step = step || k.step != first.step
		arm = arm || k.arm != first.arm
	}
	// A file's label stands for its configuration; the mesh is named only
	// when it changes within one file.
	meshOf := map[int]string{}
	for _, k := range g.keys {
		if m, ok := meshOf[k.src]; ok && m != k.mesh {
			mesh = true
		}
		meshOf[k.src] = k.mesh
	}
	return
}

func (g *grouping) rowTitle() string {
	src, mesh, step, arm := g.varying()
	switch {
	case src || mesh:
		return "configuration"
	case arm && !step:
		return "target"
	case allNumeric(g.keys):
		return "policies"
	}
	return "step"
}

func allNumeric(keys []rowKey) bool {
	for _, k := range keys {
		if _, err := strconv.Atoi(k.step); err != nil {
			return false
		}
	}
	return true
}

func (g *grouping) label(k rowKey) string {
	src, mesh, step, arm := g.varying()
	var parts []string
	if src {
		parts = append(parts, g.sources[k.src].Label)
	}
	if mesh {
		parts = append(parts, k.mesh)
	}
	if step {
		parts = append(parts, k.step)
	}
	if arm {
		parts = append(parts, k.arm)
	}
	if len(parts) == 0 {
		parts = append(parts, cmp.Or(g.sources[k.src].Label, k.step, k.mesh))
	}
	return strings.Join(parts, " / ")
}

func (g *grouping) rows() []Row {
	rows := make([]Row, len(g.keys))
	for i, k := range g.keys {
		r := Row{RowID: RowID{Label: g.label(k), Source: g.sources[k.src].Label, Mesh: k.mesh, Step: k.step, Arm: k.arm, key: k}}
		for _, s := range g.sizes {
			m := g.cells[cellKey{k, s.Bytes}]
			if m == nil {
				r.Cells = append(r.Cells, Cell{Size: s.Label, Missing: true})
				continue
			}
			r.Policies, r.PolicyKind = m.policies, m.policyKind
			if r.Enforcement == nil {
				r.Enforcement = m.enforcement
			}
			r.Cells = append(r.Cells, m.cell(s.Label))
		}
		rows[i] = r
	}
	return rows
}

func (m *merged) cell(size string) Cell {
	c := Cell{
		Size: size, Summary: Summarize(m.samples), Requests: m.requests, NewConnections: m.newConns,
		Rate: m.rate, AchievedRate: m.achieved, samples: m.samples, enforcement: m.enforcement,
	}
	if len(m.errors) > 0 {
		c.Errors = m.errors
	}
	if m.behind {
		c.Flags = append(c.Flags, FlagBehind)
	}
	if len(m.samples) == 0 {
		c.Flags = append(c.Flags, FlagEmpty)
	}
	if len(m.errors) > 0 {
		c.Flags = append(c.Flags, FlagErrors)
	}
	if m.enforcement != nil && !m.enforcement.Enforced {
		c.Flags = append(c.Flags, FlagUnenforced)
	}
	// The server counts connections per cell around the cell's requests; a
	// 1% allowance absorbs a health check landing in the window.
	if !m.keepAlive && m.newConns >= 0 && m.newConns < int64(m.requests)-int64(m.requests)/100 {
		c.Flags = append(c.Flags, FlagConnections)
	}
	return c
}

// control returns the key and samples of the control arm at row's step and
// size, when the rows show the target arm and the control was measured and
// reported.
func (g *grouping) control(r Row, size int64) (cellKey, []int64) {
	k := r.key
	k.arm = results.ArmControl
	ck := cellKey{k, size}
	if g.arm != results.ArmTarget {
		return ck, nil
	}
	m := g.cells[ck]
	if m == nil || m.behind || len(m.samples) == 0 {
		return ck, nil
	}
	return ck, m.samples
}

// flagNotes explains every flagged cell in one line each, the control
// arm's too: its cells are the other side of every paired figure.
func (t *Table) flagNotes(g *grouping) []string {
	var notes []string
	for _, r := range t.Rows {
		for i, c := range r.Cells {
			notes = append(notes, cellNotes(r.Label+" at "+c.Size, c)...)
			if g.arm == results.ArmTarget {
				k := r.key
				k.arm = results.ArmControl
				if m := g.cells[cellKey{k, t.Sizes[i].Bytes}]; m != nil {
					notes = append(notes, cellNotes(r.Label+" (control) at "+c.Size, m.cell(c.Size))...)
				}
			}
		}
	}
	return notes
}

func cellNotes(where string, c Cell) []string {
	var notes []string
	for _, f := range c.Flags {
		switch f {
		case FlagBehind:
			notes = append(notes, fmt.Sprintf("%s: the client fell behind (%.1f of %g req/s); not reported", where, c.AchievedRate, c.Rate))
		case FlagEmpty:
			notes = append(notes, fmt.Sprintf("%s: no successful requests", where))
		case FlagErrors:
			notes = append(notes, fmt.Sprintf("%s: %s of %d requests failed; figures describe the rest", where, errorList(c.Errors), c.Requests))
		case FlagUnenforced:
			notes = append(notes, fmt.Sprintf("%s: enforcement was not confirmed before measuring (probe denied: %v, client allowed: %v)", where, c.enforcement.ProbeDenied, c.enforcement.ClientAllowed))
		case FlagConnections:
			notes = append(notes, fmt.Sprintf("%s: only %d new connections for %d requests with keep-alive off", where, c.NewConnections, c.Requests))
		}
	}
	return notes
}

func errorList(errs map[string]int) string {
	var parts []string
	total := 0
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%d %s", errs[k], k))
		total += errs[k]
	}
	return fmt.Sprintf("%d (%s)", total, strings.Join(parts, ", "))
}

// missingArmNotes name every source that has cells keep accepts but none of
// the arm the rows show, so its rows are not in the table: a comparison must
// not drop a file without saying so.
func missingArmNotes(sources []Source, arm, what string, keep func(*results.Cell) bool) []string {
	if arm == "" {
		return nil
	}
	var notes []string
	for si, src := range sources {
		arms := map[string]bool{}
		for _, d := range src.Docs {
			for i := range d.Cells {
				if c := &d.Cells[i]; keep(c) {
					arms[c.Arm] = true
				}
			}
		}
		if len(arms) == 0 || arms[arm] {
			continue
		}
		name := src.Label
		if name == "" {
			name = fmt.Sprintf("file %d", si+1)
		}
		notes = append(notes, fmt.Sprintf("%s: not shown: its %s cells have no %q arm (its arms: %s); --arm all shows every arm",
			name, what, arm, strings.Join(slices.Sorted(maps.Keys(arms)), ", ")))
	}
	return notes
}

// configLabel names a configuration of a source the way row labels do:
// the source's label and the configuration when either varies; "" when
// neither does (the table holds one).
func (g *grouping) configLabel(src int, config string) string {
	srcs, configs, _, _ := g.varying()
	var parts []string
	if srcs {
		parts = append(parts, g.sources[src].Label)
	}
	if configs {
		parts = append(parts, config)
	}
	return strings.Join(parts, " / ")
}
