package analysis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/results"
)

// DatapathTable is the server node's work per new connection at every
// step: what the packet filter checked, the CPU the kernel spent, and how
// busy the node was, with the work per policy fitted across steps.
type DatapathTable struct {
	// Window is the measurement read: results.WindowHTTP (the latency
	// windows) or results.WindowCRR (the target's crr round trips).
	Window   string        `json:"window,omitempty"`
	RowTitle string        `json:"rowTitle"`
	Rows     []DatapathRow `json:"rows"`
	// PerPolicy is, per configuration and engine, the slope of the policy
	// walk per new connection to the target against the policy count.
	PerPolicy []WorkSlope `json:"perPolicy,omitempty"`
	Notes     []string    `json:"notes,omitempty"`
}

// DatapathRow is one step's window, every repeat merged.
type DatapathRow struct {
	RowID
	Node              string `json:"node"`
	Connections       int64  `json:"connections"`
	TargetConnections int64  `json:"targetConnections"`
	// Engines are per engine: rules installed and work per new connection.
	Engines []EngineRow `json:"engines"`
	// BPFNsPerRun and BPFNsPerTargetConn are the run time of the BPF
	// programs on the target pod's interface per run (about one per packet)
	// and per new connection to the target; BPFRunsPerTargetConn their runs.
	BPFNsPerRun          float64 `json:"bpfNsPerRun,omitempty"`
	BPFNsPerTargetConn   float64 `json:"bpfNsPerTargetConnection,omitempty"`
	BPFRunsPerTargetConn float64 `json:"bpfRunsPerTargetConnection,omitempty"`
	// SoftirqUs and SystemUs are the node's softirq and system CPU per new
	// connection, in microseconds.
	SoftirqUs float64 `json:"softirqUs"`
	SystemUs  float64 `json:"systemUs"`
	// BusyCores, RunQueue and Load1 say how contended the node was.
	BusyCores float64 `json:"busyCores"`
	CPUs      int     `json:"cpus"`
	RunQueue  float64 `json:"runQueue"`
	Load1     float64 `json:"load1"`
	Changed   int     `json:"changed,omitempty"`
}

// EngineRow is one engine's figures at one step.
type EngineRow struct {
	Engine string `json:"engine"`
	Rules  int    `json:"rules"`
	// ChecksPerConn are rule checks in the engine's chains per new
	// connection (both servers'); ChainsPerConn chain entries likewise.
	ChecksPerConn float64 `json:"checksPerConnection"`
	ChainsPerConn float64 `json:"chainsPerConnection"`
	// WalkPerTargetConn are the checks in the chains of selected pods per
	// new connection to the target: the policies' walk.
	WalkPerTargetConn float64 `json:"walkPerTargetConnection"`
}

// WorkSlope is the work an engine does per policy per new connection.
type WorkSlope struct {
	Config   string  `json:"config"`
	Engine   string  `json:"engine"`
	Policies []int   `json:"policies"`
	Checks   float64 `json:"checksPerPolicy"`
	Rules    float64 `json:"rulesPerPolicy"`
}

// buildDatapath builds the table of the windows around one measurement:
// results.WindowHTTP or results.WindowCRR.
func buildDatapath(sources []Source, window string) *DatapathTable {
	rows, cells, title := measureRows(sources, results.ArmTarget, func(c *results.Cell) bool {
		return c.Datapath != nil && c.Datapath.Window == window
	})
	if len(rows) == 0 {
		return nil
	}
	t := &DatapathTable{Window: window, RowTitle: title}
	var rewritten []string // rows whose engine rewrote its rules, with the rules' count
	for _, r := range rows {
		row := DatapathRow{RowID: r}
		type sum struct{ rules, checks, chains, walk float64 }
		engines := map[string]*sum{}
		var order []string
		var softirq, system, busy, runq, load1, secs, bpfRuns, bpfNs float64
		n := 0
		for _, kc := range cells {
			if kc.key != r.key {
				continue
			}
			d := kc.cell.Datapath
			n++
			row.Node = d.Node
			row.Connections += d.Connections
			row.TargetConnections += d.TargetConnections
			row.Changed += d.Changed
			for _, e := range d.Engines {
				s := engines[e.Engine]
				if s == nil {
					s = &sum{}
					engines[e.Engine] = s
					order = append(order, e.Engine)
				}
				s.rules = max(s.rules, float64(e.Rules))
				s.checks += e.Evaluations
				s.chains += e.ChainsEntered
				s.walk += e.SelectedEvaluations
			}
			if b := d.BPF; b != nil {
				bpfRuns += float64(b.RunCount)
				bpfNs += float64(b.Runtime)
			}
			if c := d.CPU; c != nil {
				sec := c.Duration.Seconds()
				softirq += c.Softirq * sec
				system += c.System * sec
				secs += sec
				row.CPUs = c.CPUs
			}
			if l := d.Load; l != nil {
				busy, runq, load1 = busy+l.BusyCores, runq+l.RunQueue, load1+l.Load1
			}
			for _, note := range d.Notes {
				t.note(r.Label + ": " + note)
			}
		}
		for _, name := range order {
			s := engines[name]
			row.Engines = append(row.Engines, EngineRow{Engine: name, Rules: int(s.rules),
				ChecksPerConn:     results.PerConnection(s.checks, row.Connections),
				ChainsPerConn:     results.PerConnection(s.chains, row.Connections),
				WalkPerTargetConn: results.PerConnection(s.walk, row.TargetConnections)})
		}
		if bpfRuns > 0 {
			row.BPFNsPerRun = bpfNs / bpfRuns
			row.BPFNsPerTargetConn = results.PerConnection(bpfNs, row.TargetConnections)
			row.BPFRunsPerTargetConn = results.PerConnection(bpfRuns, row.TargetConnections)
		}
		row.SoftirqUs = 1e6 * results.PerConnection(softirq, row.Connections)
		row.SystemUs = 1e6 * results.PerConnection(system, row.Connections)
		if n > 0 {
			row.BusyCores, row.RunQueue, row.Load1 = busy/float64(n), runq/float64(n), load1/float64(n)
		}
		if row.Changed > 0 {
			rewritten = append(rewritten, fmt.Sprintf("%s (%d)", r.Label, row.Changed))
		}
		t.Rows = append(t.Rows, row)
	}
	if len(rewritten) > 0 {
		every := "a second apart"
		if window == results.WindowCRR {
			every = "a quarter second apart"
		}
		t.note(fmt.Sprintf("the engine rewrote its rules during the windows of %s (rule counters restarted or appeared): the counts follow them from read to read, %s, and miss what a rule matched between its last read and its restart", strings.Join(rewritten, ", "), every))
	}
	t.PerPolicy = t.fitWork()
	return t
}

func (t *DatapathTable) note(s string) {
	for _, n := range t.Notes {
		if n == s {
			return
		}
	}
	t.Notes = append(t.Notes, s)
}

// fitWork fits, per configuration and engine, the policy walk per new
// connection and the rules installed against the policy count; a
// configuration without a step at 0 policies shares its source's.
func (t *DatapathTable) fitWork() []WorkSlope {
	ids := make([]RowID, len(t.Rows))
	for i, r := range t.Rows {
		ids[i] = r.RowID
	}
	groups := fitGroups(ids)
	var out []WorkSlope
	for _, c := range groups {
		idx := c.rows
		engines := map[string]bool{}
		var names []string
		for _, i := range idx {
			for _, e := range t.Rows[i].Engines {
				if !engines[e.Engine] {
					engines[e.Engine] = true
					names = append(names, e.Engine)
				}
			}
		}
		for _, name := range names {
			var xs, walk, rules []float64
			var policies []int
			for _, i := range idx {
				for _, e := range t.Rows[i].Engines {
					if e.Engine == name {
						xs = append(xs, float64(t.Rows[i].Policies))
						walk = append(walk, e.WalkPerTargetConn)
						rules = append(rules, float64(e.Rules))
						policies = append(policies, t.Rows[i].Policies)
					}
				}
			}
			checks, ok := leastSquares(xs, walk)
			if !ok {
				continue
			}
			perRule, _ := leastSquares(xs, rules)
			label := c.config
			if len(groups) == 1 {
				label = "every step"
			}
			out = append(out, WorkSlope{Config: label, Engine: name, Policies: policies, Checks: checks, Rules: perRule})
		}
	}
	return out
}

// section lays the datapath table out.
func (t *DatapathTable) section() Section {
	var engines []string
	for _, r := range t.Rows {
		for _, e := range r.Engines {
			if !slices.Contains(engines, e.Engine) {
				engines = append(engines, e.Engine)
			}
		}
	}
	cols := []string{"node", "new conns"}
	for _, e := range engines {
		cols = append(cols, e+" rules", e+" checks/conn", e+" chains/conn")
		if e == "kube-router" {
			cols = append(cols, "policy walk/target conn")
		}
	}
	bpf := slices.ContainsFunc(t.Rows, func(r DatapathRow) bool { return r.BPFNsPerRun > 0 })
	if bpf {
		cols = append(cols, "BPF ns/run", "BPF runs/target conn", "BPF ns/target conn")
	}
	cols = append(cols, "softirq µs/conn", "system µs/conn", "busy cores", "run queue", "load1")
	over, name := "each step's latency window", "datapath"
	if t.Window == results.WindowCRR {
		over, name = "the target's crr round trips at each step, one new connection each", "datapath-crr"
	}
	g := newGrid("Datapath per new connection (the target server's node, over "+over+")", t.RowTitle, cols)
	records := [][]string{{"label", "mesh", "step", "policies", "node", "connections", "engine", "rules", "checksPerConnection", "chainsPerConnection", "walkPerTargetConnection", "softirqUs", "systemUs", "busyCores", "runQueue", "load1"}}
	for _, r := range t.Rows {
		line := []string{r.Node, fmt.Sprint(r.Connections)}
		for _, name := range engines {
			var e *EngineRow
			for i := range r.Engines {
				if r.Engines[i].Engine == name {
					e = &r.Engines[i]
				}
			}
			if e == nil {
				line = append(line, "-", "-", "-")
				if name == "kube-router" {
					line = append(line, "-")
				}
				continue
			}
			line = append(line, fmt.Sprint(e.Rules), fmt.Sprintf("%.1f", e.ChecksPerConn), fmt.Sprintf("%.2f", e.ChainsPerConn))
			if name == "kube-router" {
				line = append(line, fmt.Sprintf("%.1f", e.WalkPerTargetConn))
			}
			records = append(records, []string{r.Label, r.Mesh, r.Step, fmt.Sprint(r.Policies), r.Node, fmt.Sprint(r.Connections), e.Engine, fmt.Sprint(e.Rules),
				fmt.Sprintf("%g", e.ChecksPerConn), fmt.Sprintf("%g", e.ChainsPerConn), fmt.Sprintf("%g", e.WalkPerTargetConn),
				fmt.Sprintf("%g", r.SoftirqUs), fmt.Sprintf("%g", r.SystemUs), fmt.Sprintf("%g", r.BusyCores), fmt.Sprintf("%g", r.RunQueue), fmt.Sprintf("%g", r.Load1)})
		}
		if bpf {
			line = append(line, fmt.Sprintf("%.0f", r.BPFNsPerRun), fmt.Sprintf("%.1f", r.BPFRunsPerTargetConn), fmt.Sprintf("%.0f", r.BPFNsPerTargetConn))
		}
		line = append(line, fmt.Sprintf("%.1f", r.SoftirqUs), fmt.Sprintf("%.1f", r.SystemUs),
			fmt.Sprintf("%.2f of %d", r.BusyCores, r.CPUs), fmt.Sprintf("%.1f", r.RunQueue), fmt.Sprintf("%.2f", r.Load1))
		g.add(r.Label, line)
	}
	s := Section{Name: name, Grids: []Grid{g}, Notes: t.Notes, Records: records,
		Heading: []string{"Rule checks are counted from the engines' iptables rule counters before and after the window (every packet: a new connection's first packet walks the policies, the rest are accepted as established); CPU and load are the node's (on the lab, the machine's)."}}
	if len(t.PerPolicy) > 0 {
		pg := newGrid("Work per policy: slope across steps", "configuration", []string{"engine", "policies fitted", "policy-walk checks per policy per new connection", "rules installed per policy"})
		for _, w := range t.PerPolicy {
			var steps []string
			for _, n := range w.Policies {
				steps = append(steps, fmt.Sprint(n))
			}
			pg.add(w.Config, []string{w.Engine, strings.Join(steps, ","), fmt.Sprintf("%.2f", w.Checks), fmt.Sprintf("%.2f", w.Rules)})
		}
		s.Grids = append(s.Grids, pg)
	}
	return s
}
