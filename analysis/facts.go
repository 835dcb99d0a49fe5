package analysis

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/meshbench/meshbench/results"
)

// Facts say what a report's documents measured and where: the run's
// cluster, engine, placement, policy kinds and load. A reader needs them to
// know what a figure stands for, so plots put them in their title and the
// HTML page lists them.
type Facts struct {
	Runs []RunFacts `json:"runs"`
}

// RunFacts are the facts of one source (a report's merged files, or one
// file of a comparison).
type RunFacts struct {
	Label      string    `json:"label,omitempty"`
	Meshbench  string    `json:"meshbench,omitempty"`
	RunIDs     []string  `json:"runIDs,omitempty"`
	CreatedAt  time.Time `json:"createdAt"`
	Command    string    `json:"command,omitempty"`
	Kubernetes string    `json:"kubernetes,omitempty"`
	// Engine is the detected CNI or policy engine, e.g. "kube-router".
	Engine string `json:"engine,omitempty"`
	// Network is how pods reached other nodes, with its MTU and cipher in
	// words, e.g. "wireguard (mtu 1420, ChaCha20-Poly1305)".
	Network   string   `json:"network,omitempty"`
	Nodes     []string `json:"nodes,omitempty"`
	Kernel    string   `json:"kernel,omitempty"`
	Placement string   `json:"placement,omitempty"`
	// ClientNodes and ServerNodes are the nodes the cells' clients and
	// servers ran on (servers by arm), as the document recorded them.
	ClientNodes []string            `json:"clientNodes,omitempty"`
	ServerNodes map[string][]string `json:"serverNodes,omitempty"`
	Meshes      map[string]string   `json:"meshes,omitempty"`
	// PolicyKinds are the kinds of policy applied in the steps.
	PolicyKinds []string `json:"policyKinds,omitempty"`
	// Rates are the distinct asked rates per arm in req/s (0: closed loop),
	// Requests the distinct requests per cell.
	Rates    []float64 `json:"rates,omitempty"`
	Requests []int     `json:"requests,omitempty"`
	// Load is the load settings in words, one line per distinct setting.
	Load []string `json:"load,omitempty"`
	// Host is the measuring client's machine.
	Host string `json:"host,omitempty"`
}

func buildFacts(sources []Source) *Facts {
	f := &Facts{}
	for _, s := range sources {
		rf := RunFacts{Label: s.Label}
		for _, d := range s.Docs {
			rf.add(d)
		}
		f.Runs = append(f.Runs, rf)
	}
	return f
}

func (rf *RunFacts) add(d *results.Document) {
	rf.Meshbench = cmp.Or(rf.Meshbench, d.Meshbench)
	if d.RunID != "" && !slices.Contains(rf.RunIDs, d.RunID) {
		rf.RunIDs = append(rf.RunIDs, d.RunID)
	}
	if rf.CreatedAt.IsZero() || (!d.CreatedAt.IsZero() && d.CreatedAt.Before(rf.CreatedAt)) {
		rf.CreatedAt = d.CreatedAt
	}
	if rf.Command == "" && len(d.Command) > 0 {
		rf.Command = strings.Join(d.Command, " ")
	}
	if c := d.Cluster; c != nil {
		rf.Kubernetes = cmp.Or(rf.Kubernetes, c.KubernetesVersion)
		rf.Engine = cmp.Or(rf.Engine, c.CNI)
		rf.Network = cmp.Or(rf.Network, networkWords(c.Network, c.NetworkMTU, c.NetworkCipher))
		rf.Placement = cmp.Or(rf.Placement, c.Placement)
		for _, n := range c.Nodes {
			if !slices.Contains(rf.Nodes, n.Name) {
				rf.Nodes = append(rf.Nodes, n.Name)
			}
			rf.Kernel = cmp.Or(rf.Kernel, n.Kernel)
		}
		for m, v := range c.Meshes {
			if rf.Meshes == nil {
				rf.Meshes = map[string]string{}
			}
			rf.Meshes[m] = v
		}
	}
	rf.Kernel = cmp.Or(rf.Kernel, d.Host.Kernel)
	if rf.Host == "" && d.Host.OS != "" {
		rf.Host = fmt.Sprintf("%s/%s, %d CPUs", d.Host.OS, d.Host.Arch, d.Host.CPUs)
	}
	for _, c := range d.Cells {
		if c.PolicyKind != "" && !slices.Contains(rf.PolicyKinds, c.PolicyKind) {
			rf.PolicyKinds = append(rf.PolicyKinds, c.PolicyKind)
		}
		rf.ClientNodes = appendNew(rf.ClientNodes, c.ClientNode)
		if c.ServerNode != "" {
			if rf.ServerNodes == nil {
				rf.ServerNodes = map[string][]string{}
			}
			rf.ServerNodes[c.Arm] = appendNew(rf.ServerNodes[c.Arm], c.ServerNode)
		}
	}
	// The load settings are those of the latency cells; a document of
	// streams or round trips alone has none.
	if !hasCells([]Source{{Docs: []*results.Document{d}}}, func(c *results.Cell) bool { return c.Latency != nil }) {
		return
	}
	if !slices.Contains(rf.Rates, d.Load.Rate) {
		rf.Rates = append(rf.Rates, d.Load.Rate)
	}
	if d.Load.Requests > 0 && !slices.Contains(rf.Requests, d.Load.Requests) {
		rf.Requests = append(rf.Requests, d.Load.Requests)
	}
	if l := loadLine(d.Load); !slices.Contains(rf.Load, l) {
		rf.Load = append(rf.Load, l)
	}
}

// loadLine is a document's load settings in words.
func loadLine(l results.Load) string {
	ka := "keep-alive off (one connection per request)"
	if l.KeepAlive {
		ka = "keep-alive on"
	}
	return fmt.Sprintf("%d requests per cell, %s, %s, warm-up %d, %d rounds", l.Requests, rateWords(l.Rate), ka, l.Warmup, l.Rounds)
}

func rateWords(r float64) string {
	if r > 0 {
		return fmt.Sprintf("%g req/s per target", r)
	}
	return "closed loop"
}

// Where says in one line per source where the clients and servers ran,
// e.g. "cross-node: client on mblab-node-2; target on mblab-node-1; control
// on mblab-node-1"; none when the documents did not record nodes.
func (f *Facts) Where() []string {
	var out []string
	for _, r := range f.Runs {
		if len(r.ClientNodes) == 0 && len(r.ServerNodes) == 0 {
			continue
		}
		var parts []string
		if len(r.ClientNodes) > 0 {
			parts = append(parts, "client on "+strings.Join(r.ClientNodes, ", "))
		}
		for _, arm := range slices.Sorted(maps.Keys(r.ServerNodes)) {
			parts = append(parts, arm+" on "+strings.Join(r.ServerNodes[arm], ", "))
		}
		line := strings.Join(parts, "; ")
		if r.Placement != "" {
			line = r.Placement + ": " + line
		}
		if len(f.Runs) > 1 && r.Label != "" && r.Label != r.Placement {
			line = r.Label + ": " + line
		}
		out = append(out, line)
	}
	return out
}

// Title says in one line what was measured: engine, nodes, placement,
// policy kind, rate and requests, each value of every source once.
func (f *Facts) Title() string {
	var parts []string
	add := func(values []string, unit string) {
		values = slices.DeleteFunc(slices.Compact(values), func(s string) bool { return s == "" })
		if len(values) > 0 {
			parts = append(parts, strings.Join(values, " / ")+unit)
		}
	}
	var engines, networks, nodes, placements, kinds, meshes, rates, requests []string
	for _, r := range f.Runs {
		engines = appendNew(engines, r.Engine)
		networks = appendNew(networks, r.Network)
		if len(r.Nodes) > 0 {
			nodes = appendNew(nodes, plural(len(r.Nodes), "node"))
		}
		placements = appendNew(placements, r.Placement)
		for _, k := range r.PolicyKinds {
			kinds = appendNew(kinds, k)
		}
		for _, m := range slices.Sorted(maps.Keys(r.Meshes)) {
			meshes = appendNew(meshes, m)
		}
		for _, x := range r.Rates {
			rates = appendNew(rates, rateWords(x))
		}
		for _, n := range r.Requests {
			requests = appendNew(requests, fmt.Sprint(n))
		}
	}
	add(engines, "")
	add(networks, "")
	add(meshes, "")
	add(nodes, "")
	add(placements, "")
	add(kinds, "")
	add(rates, "")
	add(requests, " requests per cell")
	if len(parts) == 0 {
		return "meshbench"
	}
	return strings.Join(parts, ", ")
}

func appendNew(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// networkWords names a network with its MTU and cipher, e.g. "wireguard
// (mtu 1420, ChaCha20-Poly1305)"; "" when none was recorded.
func networkWords(name string, mtu int, cipher string) string {
	if name == "" {
		return ""
	}
	var extra []string
	if mtu > 0 {
		extra = append(extra, fmt.Sprintf("mtu %d", mtu))
	}
	if cipher != "" {
		extra = append(extra, cipher)
	}
	if len(extra) == 0 {
		return name
	}
	return name + " (" + strings.Join(extra, ", ") + ")"
}
