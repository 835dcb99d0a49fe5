package results

import "time"

// Datapath is the work the server's node did in one step's measuring
// window: the latency window (the client's run over every size, warm-up
// included) or the target's crr window: the rules its packet filter
// checked, the chains entered, the rules installed, the CPU the kernel
// spent and how loaded the node was. Figures per new connection divide by
// Connections: with keep-alive off one per request, in crr one per round
// trip.
type Datapath struct {
	// Node is the node read: the target server's.
	Node     string        `json:"node"`
	Duration time.Duration `json:"durationNs"`
	// Window is the measurement the window bracketed: WindowHTTP (the
	// latency cells, the default) or WindowCRR (the target's crr round
	// trips).
	Window string `json:"window,omitempty"`
	// Connections are the window's new connections to both servers;
	// TargetConnections those to the target, whose packets alone enter the
	// chains of the pods policies select.
	Connections       int64 `json:"connections"`
	TargetConnections int64 `json:"targetConnections"`
	// Engines are the figures per engine that owns chains on the node
	// (kube-router, kube-proxy, ...).
	Engines []EngineWork `json:"engines,omitempty"`
	// Changed counts rules rewritten during the window: their counters
	// restarted, so the figures are approximate when it is not 0.
	Changed int `json:"changed,omitempty"`
	// BPF is the run statistics of the BPF programs attached to the target
	// pod's interface (an eBPF engine such as Cilium); nil where none is.
	BPF *BPFWork `json:"bpf,omitempty"`
	// CPU is the node's CPU over the window (softirq and system time hold
	// the datapath's work); Load is the node's load meanwhile.
	CPU  *CPU      `json:"cpu,omitempty"`
	Load *NodeLoad `json:"load,omitempty"`
	// Notes say what could not be read.
	Notes []string `json:"notes,omitempty"`
}

// The measurements a datapath window brackets.
const (
	WindowHTTP = ""
	WindowCRR  = "crr"
)

// EngineWork is one engine's chains in a window.
type EngineWork struct {
	Engine string `json:"engine"`
	// Rules are the rules installed in the engine's chains at the window's end.
	Rules int `json:"rules"`
	// Evaluations are the rule checks in the engine's chains; ChainsEntered
	// the times a packet entered one of them.
	Evaluations   float64 `json:"evaluations"`
	ChainsEntered float64 `json:"chainsEntered"`
	// SelectedEvaluations are the checks in the chains only the target
	// pod's packets enter (kube-router's firewall chain of that pod and the
	// chains of the policies that select it): the policies' walk.
	SelectedEvaluations float64 `json:"selectedEvaluations,omitempty"`
}

// NodeLoad is how busy the node was during a window, besides the work
// measured: a figure taken on a contended node grows with the contention.
type NodeLoad struct {
	// Load1 is the one-minute load average at the window's end.
	Load1 float64 `json:"load1"`
	// RunQueue is the runnable tasks seen at the window's start and end,
	// averaged (procs_running of /proc/stat).
	RunQueue float64 `json:"runQueue"`
	// BusyCores are the cores busy on average over the window (everything
	// but idle and iowait), out of CPUs.
	BusyCores float64 `json:"busyCores"`
	CPUs      int     `json:"cpus"`
}

// PerConnection is a count of the window divided by its new connections
// (0 when none were counted).
func PerConnection(n float64, conns int64) float64 {
	if conns <= 0 {
		return 0
	}
	return n / float64(conns)
}

// BPFWork is the window's runs of the BPF programs on one interface.
type BPFWork struct {
	Interface string        `json:"interface"`
	Programs  int           `json:"programs"`
	RunCount  uint64        `json:"runCount"`
	Runtime   time.Duration `json:"runtimeNs"`
}
