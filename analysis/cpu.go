package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/results"
)

// CPUTable is the CPU used during a report's measurements, one line per
// step, measurement and side (the client's node and pod, the server's), in
// cores: 1.0 is one core busy for the whole window.
type CPUTable struct {
	RowTitle string   `json:"rowTitle"`
	Arm      string   `json:"arm,omitempty"`
	Rows     []CPURow `json:"rows"`
	Notes    []string `json:"notes,omitempty"`
}

// CPURow is the CPU of one measurement at one step, every repeat merged
// (weighted by the windows' lengths).
type CPURow struct {
	RowID
	// Measurement says what ran: "1 stream send", "rr", "crr", "latency 1k".
	Measurement string `json:"measurement"`
	// Side is whose CPU it is: "client", "server", or a Prometheus query's name.
	Side    string  `json:"side"`
	Repeats int     `json:"repeats"`
	CPUs    int     `json:"cpus"`
	Seconds float64 `json:"seconds"`
	// Node-wide, from /proc/stat.
	User    float64 `json:"user"`
	Nice    float64 `json:"nice"`
	System  float64 `json:"system"`
	IRQ     float64 `json:"irq"`
	Softirq float64 `json:"softirq"`
	Steal   float64 `json:"steal"`
	IOWait  float64 `json:"iowait"`
	Idle    float64 `json:"idle"`
	// Busy is user + nice + system + irq + softirq.
	Busy float64 `json:"busy"`
	// Cgroup is the pod's own CPU (cpu.stat), when it was read.
	Cgroup     float64 `json:"cgroup"`
	HasCgroup  bool    `json:"hasCgroup"`
	CgroupPath string  `json:"cgroupPath,omitempty"`
	// Gbps and CoresPerGbps are set for stream measurements: the node's busy
	// cores per Gbit/s moved, the price of the bytes.
	Gbps         float64            `json:"gbps,omitempty"`
	CoresPerGbps float64            `json:"coresPerGbps,omitempty"`
	Components   map[string]float64 `json:"components,omitempty"`
}

// cpuFigures are the CPU records of a cell: the client's, then the
// server's as it reported itself over the same window.
func cpuFigures(c *results.Cell) []*results.CPU {
	var out []*results.CPU
	if c.CPU != nil {
		out = append(out, c.CPU)
	}
	if c.ServerCPU != nil {
		f := *c.ServerCPU
		f.Source = cmp.Or(f.Source, "server")
		out = append(out, &f)
	}
	return out
}

// measurementLabel names what a cell measured.
func measurementLabel(c *results.Cell) string {
	switch {
	case c.Throughput != nil:
		return streamLabel(StreamColumn{Parallel: c.Throughput.Parallel, Direction: direction(c.Throughput)}, true)
	case c.RTT != nil:
		return c.RTT.Mode
	case c.Latency != nil:
		return "latency " + cmp.Or(c.SizeLabel, fmt.Sprint(c.Size))
	}
	return "window"
}

type cpuKey struct {
	row         rowKey
	measurement string
	side        string
}

type cpuSum struct {
	row      CPURow
	gigabits float64 // of stream cells, for cores per Gbit/s
	busySec  float64
	total    float64            // the weights' sum
	comps    map[string]float64 // core-seconds
}

// buildCPU returns nil when no cell carries CPU figures.
func buildCPU(sources []Source, o TableOptions) *CPUTable {
	rows, cells, title := measureRows(sources, o.Arm, func(c *results.Cell) bool { return len(cpuFigures(c)) > 0 })
	if rows == nil {
		return nil
	}
	t := &CPUTable{RowTitle: title, Arm: rows[0].Arm}
	rowIndex := map[rowKey]int{}
	for i, r := range rows {
		rowIndex[r.key] = i
	}
	sums := map[cpuKey]*cpuSum{}
	var order []cpuKey
	for _, kc := range cells {
		ri, ok := rowIndex[kc.key]
		if !ok {
			continue // another arm's
		}
		for _, f := range cpuFigures(kc.cell) {
			k := cpuKey{kc.key, measurementLabel(kc.cell), cmp.Or(f.Source, "client")}
			s := sums[k]
			if s == nil {
				s = &cpuSum{row: CPURow{RowID: rows[ri], Measurement: k.measurement, Side: k.side}, comps: map[string]float64{}}
				sums[k] = s
				order = append(order, k)
			}
			s.add(f, kc.cell.Throughput)
		}
	}
	slices.SortStableFunc(order, func(a, b cpuKey) int { return cmp.Compare(rowIndex[a.row], rowIndex[b.row]) })
	var short []string
	for _, k := range order {
		r := sums[k].finish()
		if r.Seconds > 0 && r.Seconds < minCPUWindow {
			if w := r.Label + " " + r.Measurement; !slices.Contains(short, w) {
				short = append(short, w)
			}
			continue
		}
		t.Rows = append(t.Rows, r)
	}
	if len(short) > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("cpu: not reported for %s: measured for less than %g s, too short for /proc/stat's 10 ms ticks (measure longer, e.g. more round trips)",
			strings.Join(short, ", "), minCPUWindow))
	}
	t.Notes = append(t.Notes, cpuNotes(sources, rows)...)
	if len(t.Rows) == 0 {
		return nil
	}
	return t
}

// minCPUWindow is the shortest window, in seconds, whose CPU figures are
// reported: /proc/stat counts in 10 ms ticks, so half a second is good to
// about 2% of a core.
const minCPUWindow = 0.5

// add weighs f by its window's length.
func (s *cpuSum) add(f *results.CPU, th *results.Throughput) {
	w := f.Duration.Seconds()
	if w <= 0 {
		w = 1 // a figure without its window counts as one unit
	}
	r := &s.row
	r.Repeats++
	r.Seconds += f.Duration.Seconds()
	r.CPUs = max(r.CPUs, f.CPUs)
	r.User += f.User * w
	r.Nice += f.Nice * w
	r.System += f.System * w
	r.IRQ += f.IRQ * w
	r.Softirq += f.Softirq * w
	r.Steal += f.Steal * w
	r.IOWait += f.IOWait * w
	r.Idle += f.Idle * w
	r.Busy += f.Busy() * w
	if f.CgroupPath != "" {
		r.HasCgroup = true
		r.CgroupPath = f.CgroupPath
		r.Cgroup += f.Cgroup * w
	}
	for name, v := range f.Components {
		s.comps[name] += v * w
	}
	if g := th.Gbps(); g > 0 {
		s.gigabits += g * w
		s.busySec += f.Busy() * w
	}
	s.total += w
}

func (s *cpuSum) finish() CPURow {
	r := s.row
	if s.total > 0 {
		for _, p := range []*float64{&r.User, &r.Nice, &r.System, &r.IRQ, &r.Softirq, &r.Steal, &r.IOWait, &r.Idle, &r.Busy, &r.Cgroup} {
			*p /= s.total
		}
		if len(s.comps) > 0 {
			r.Components = map[string]float64{}
			for _, name := range slices.Sorted(maps.Keys(s.comps)) {
				r.Components[name] = s.comps[name] / s.total
			}
		}
	}
	if s.gigabits > 0 {
		r.Gbps = s.gigabits / s.total
		r.CoresPerGbps = s.busySec / s.gigabits
	}
	return r
}

// cpuNotes are the CPU figures' own notes (a cgroup without CPU accounting,
// a Prometheus that failed mid-run), each once with the number of
// measurements it concerns.
func cpuNotes(sources []Source, rows []RowID) []string {
	shown := map[rowKey]bool{}
	for _, r := range rows {
		shown[r.key] = true
	}
	count := map[string]int{}
	var order []string
	for si, src := range sources {
		for _, d := range src.Docs {
			config := d.ConfigLabeler()
			for i := range d.Cells {
				c := &d.Cells[i]
				if !shown[rowKey{si, config(c), c.Step, c.Arm}] {
					continue
				}
				for _, f := range cpuFigures(c) {
					for _, n := range f.Notes {
						if count[n] == 0 {
							order = append(order, n)
						}
						count[n]++
					}
				}
			}
		}
	}
	var out []string
	for _, n := range order {
		out = append(out, fmt.Sprintf("cpu: %s (%d of the measurements)", n, count[n]))
	}
	return out
}
