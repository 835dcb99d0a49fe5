// Package results is meshbench's versioned results document: what every
// measuring command writes and what analysis, report and compare read.
//
// A document holds cells. A cell is one measurement of one arm at one step and
// one size (or one configuration), and it can carry more than one kind of
// measurement (latency samples, throughput, RTT, CPU), so later kinds extend
// the schema without breaking readers.
package results

import "time"

// SchemaVersion is the version of the document layout. Readers refuse a
// document with a newer major version than they know.
const SchemaVersion = 1

// Kind identifies a meshbench results document.
const Kind = "meshbench.io/results"

// Version is meshbench's own version, recorded in every document.
// It is set at build time with -ldflags "-X github.com/meshbench/meshbench/results.Version=v1.2.3".
var Version = "dev"

// Document is one run's results with its metadata.
type Document struct {
	Kind          string    `json:"kind"`
	SchemaVersion int       `json:"schemaVersion"`
	Meshbench     string    `json:"meshbench"`
	CreatedAt     time.Time `json:"createdAt"`
	// RunID is the value of the meshbench.io/run label of the objects the run created.
	RunID string `json:"runID,omitempty"`
	// Command is the command line that produced the document.
	Command []string `json:"command,omitempty"`
	// Flags are the effective settings of the run, by flag name.
	Flags map[string]string `json:"flags,omitempty"`
	Host  Host              `json:"host"`
	// Cluster is set by runs on a cluster (meshbench run), nil for loopback runs.
	Cluster *Cluster `json:"cluster,omitempty"`
	Load    Load     `json:"load"`
	Cells   []Cell   `json:"cells"`
	// Notes are warnings worth a reader's attention (a cell whose rate fell behind, say).
	Notes []string `json:"notes,omitempty"`
}

// Host describes the machine the measuring client ran on.
type Host struct {
	Hostname  string `json:"hostname,omitempty"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Kernel    string `json:"kernel,omitempty"`
	CPUs      int    `json:"cpus"`
	GoVersion string `json:"goVersion"`
}

// Cluster describes the cluster a run measured.
type Cluster struct {
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`
	Nodes             []Node `json:"nodes,omitempty"`
	// CNI is the detected CNI or policy engine (e.g. "kube-router", "cilium").
	CNI string `json:"cni,omitempty"`
	// Meshes are the detected meshes with versions, e.g. {"istio-ambient": "1.31.1"}.
	Meshes map[string]string `json:"meshes,omitempty"`
	// Network is how pods reach other nodes ("routed", "vxlan",
	// "wireguard" on the meshbench lab), NetworkMTU the pods' MTU on it and
	// NetworkCipher its encryption between nodes (e.g.
	// "ChaCha20-Poly1305"); empty where the nodes do not announce them.
	Network       string `json:"network,omitempty"`
	NetworkMTU    int    `json:"networkMTU,omitempty"`
	NetworkCipher string `json:"networkCipher,omitempty"`
	// Placement is "same-node" or "cross-node".
	Placement string `json:"placement,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

// Node is one node of the cluster.
type Node struct {
	Name             string `json:"name"`
	KubeletVersion   string `json:"kubeletVersion,omitempty"`
	Kernel           string `json:"kernel,omitempty"`
	OSImage          string `json:"osImage,omitempty"`
	ContainerRuntime string `json:"containerRuntime,omitempty"`
}

// Load are the load settings every latency cell of the document shares.
// The rate is part of the answer: one new connection per request costs more
// at a low rate than closed-loop, so results always carry it.
type Load struct {
	// Rate is requests per second per target (0 = as fast as possible).
	Rate      float64       `json:"rate"`
	Requests  int           `json:"requests"`
	Warmup    int           `json:"warmup"`
	Rounds    int           `json:"rounds"`
	KeepAlive bool          `json:"keepAlive"`
	Timeout   time.Duration `json:"timeoutNs"`
	Targets   []string      `json:"targets,omitempty"`
	Sizes     []string      `json:"sizes,omitempty"`
}

// Arm names. A run alternates requests between arms in the same window so
// both share the machine's drift.
const (
	ArmTarget  = "target"  // the server the policies select
	ArmControl = "control" // a server no policy selects
)

// Cell is one arm at one step and one size.
type Cell struct {
	// Mesh is the configuration ("none", "istio-ambient", ...); empty means none.
	Mesh string `json:"mesh,omitempty"`
	// Step is the step's label, e.g. "0", "100" or a configuration name.
	Step string `json:"step"`
	// Policies is the number of policies applied at this step.
	Policies int `json:"policies"`
	// PolicyKind is the kind of the policies, e.g. "networkpolicy".
	PolicyKind string `json:"policyKind,omitempty"`
	// Shape is the form of the step's decoy policies (e.g. "ports",
	// "peers"); empty where no policy is applied.
	Shape string `json:"shape,omitempty"`
	// Arm is ArmTarget, ArmControl, or a target's label for plain loads.
	Arm string `json:"arm"`
	// URL is the target the arm's requests went to (without the size).
	URL string `json:"url,omitempty"`
	// ClientNode is the node the measuring client ran on, ServerNode the
	// node of this arm's server: equal for same-node placement.
	ClientNode string `json:"clientNode,omitempty"`
	ServerNode string `json:"serverNode,omitempty"`
	// Size is the response body size in bytes, SizeLabel as the user wrote it.
	Size      int64  `json:"size"`
	SizeLabel string `json:"sizeLabel"`

	Latency    *Latency    `json:"latency,omitempty"`
	Throughput *Throughput `json:"throughput,omitempty"`
	RTT        *RTT        `json:"rtt,omitempty"`
	CPU        *CPU        `json:"cpu,omitempty"`
	// ServerCPU is the CPU of the measured server's node and cgroup over the
	// same window, as the server reported it.
	ServerCPU   *CPU         `json:"serverCPU,omitempty"`
	Enforcement *Enforcement `json:"enforcement,omitempty"`
	// Datapath is the server node's work over the step's latency window;
	// a cell of its own (size 0), beside the step's latency cells.
	Datapath *Datapath `json:"datapath,omitempty"`
}

// Latency is the request durations of one cell, kept exactly.
type Latency struct {
	// SamplesNs are the durations of successful requests in nanoseconds, in
	// the order they completed (not sorted), from dial to the last body byte.
	SamplesNs []int64 `json:"samplesNs"`
	// Requests is the number of measured requests sent (warm-up excluded).
	Requests int `json:"requests"`
	// Errors counts failed requests by kind ("timeout", "connection refused",
	// "status 503", "short body", ...).
	Errors map[string]int `json:"errors,omitempty"`
	// NewConnections is the number of TCP connections the server accepted
	// during the cell, read from its /stats; -1 when the server has no /stats.
	NewConnections int64 `json:"newConnections"`
	// Rate is the rate asked for, AchievedRate the rate the client sustained.
	Rate         float64 `json:"rate"`
	AchievedRate float64 `json:"achievedRate"`
	// Behind is true when the client could not keep the asked rate; such a
	// cell is not reported.
	Behind bool `json:"behind,omitempty"`
	// Duration is the wall time of the cell's measured requests.
	Duration time.Duration `json:"durationNs"`
}

// Throughput is a TCP stream measurement (see issue: streams).
type Throughput struct {
	Parallel  int           `json:"parallel"`
	Direction string        `json:"direction"` // "send" (to the server) or "reverse"
	Bytes     int64         `json:"bytes"`
	Duration  time.Duration `json:"durationNs"`
	// IntervalsBps are the per-interval rates in bits per second (omitted intervals excluded).
	IntervalsBps []float64 `json:"intervalsBps"`
	// Retransmits are the sender's retransmitted segments (TCP_INFO): the
	// client's over the measured intervals for send, the server's over
	// its whole connections for reverse (see RetransmitsBy).
	Retransmits int64 `json:"retransmits"`
	ServerBytes int64 `json:"serverBytes,omitempty"`
	Connections int64 `json:"connections,omitempty"`

	// Target is the stream server as host:port.
	Target string `json:"target,omitempty"`
	// WriteSize is the size of each write (the server's, for reverse).
	WriteSize int `json:"writeSize,omitempty"`
	// Omit is the start-up time no figure includes (iperf3's --omit).
	Omit time.Duration `json:"omitNs,omitempty"`
	// Intervals are the measured intervals, omitted ones excluded; their
	// bytes sum to Bytes and their durations to Duration.
	Intervals []ThroughputInterval `json:"intervals,omitempty"`
	// WireBytes is every payload byte the client moved, the omitted start and
	// the drain after the end included: what the server must have counted
	// (ServerBytes).
	WireBytes int64 `json:"wireBytes,omitempty"`
	// RetransmitsBy says whose TCP_INFO Retransmits come from: the sender's,
	// so "client" for send and "server" for reverse.
	RetransmitsBy string `json:"retransmitsBy,omitempty"`
	// Streams are the client's connections, with TCP_INFO read at their end.
	Streams []StreamConn `json:"streams,omitempty"`
}

// ThroughputInterval is one reporting interval of a stream measurement.
type ThroughputInterval struct {
	// Start is the offset from the start of the measured window.
	Start    time.Duration `json:"startNs"`
	Duration time.Duration `json:"durationNs"`
	Bytes    int64         `json:"bytes"`
	Bps      float64       `json:"bps"`
	// Retransmits are the client's retransmitted segments in the interval.
	Retransmits int64 `json:"retransmits"`
}

// StreamConn is one connection of a stream measurement.
type StreamConn struct {
	// Bytes are the connection's bytes in the measured window.
	Bytes int64 `json:"bytes"`
	// Retransmits are the client's since the connection opened.
	Retransmits int64         `json:"retransmits"`
	RTT         time.Duration `json:"rttNs"`
	RTTVar      time.Duration `json:"rttVarNs"`
	// Cwnd is the congestion window in segments, MSS the segment size.
	Cwnd int64 `json:"cwnd"`
	MSS  int64 `json:"mss"`
}

// Gbps is the measured throughput in Gbit/s (0 when nothing was measured).
func (t *Throughput) Gbps() float64 {
	if t == nil || t.Duration <= 0 {
		return 0
	}
	return float64(t.Bytes) * 8 / t.Duration.Seconds() / 1e9
}

// RTT is round-trip times on one connection (TCP_RR) or per connection (TCP_CRR).
type RTT struct {
	Mode      string  `json:"mode"` // "rr" or "crr"
	SamplesNs []int64 `json:"samplesNs"`

	// Target is the stream server as host:port.
	Target string `json:"target,omitempty"`
	// MessageSize is the bytes of each request and each response.
	MessageSize int `json:"messageSize,omitempty"`
	// Requests is the number of round trips asked for.
	Requests int `json:"requests,omitempty"`
	// Errors counts failed round trips by kind.
	Errors map[string]int `json:"errors,omitempty"`
	// Connections is the number of connections the server counted (1 for rr,
	// one per round trip for crr).
	Connections int64         `json:"connections,omitempty"`
	Duration    time.Duration `json:"durationNs,omitempty"`
	// Alternated is true when the round trips took turns, one each, with
	// the other arms' in one run (crr's target and control): their paired
	// figures then carry no drift over the run.
	Alternated bool `json:"alternated,omitempty"`
}

// CPU is the CPU used during a measurement, in cores (1.0 = one core busy).
type CPU struct {
	Source   string        `json:"source"` // "client", "server", "node", or a Prometheus query name
	User     float64       `json:"user"`
	System   float64       `json:"system"`
	Softirq  float64       `json:"softirq"`
	Steal    float64       `json:"steal"`
	Cgroup   float64       `json:"cgroup,omitempty"`
	Duration time.Duration `json:"durationNs"`

	// The rest of /proc/stat, in cores like the fields above.
	Nice   float64 `json:"nice"`
	IRQ    float64 `json:"irq"`
	IOWait float64 `json:"iowait"`
	Idle   float64 `json:"idle"`
	// CPUs is the node's number of CPUs the figures are out of.
	CPUs int `json:"cpus,omitempty"`
	// CgroupPath is the cgroup whose cpu.stat gave Cgroup (this process's or a pod's).
	CgroupPath   string  `json:"cgroupPath,omitempty"`
	CgroupUser   float64 `json:"cgroupUser,omitempty"`
	CgroupSystem float64 `json:"cgroupSystem,omitempty"`
	// Samples are the per-interval (normally per-second) figures.
	Samples []CPUSample `json:"samples,omitempty"`
	// Components are cores per mesh component (ztunnel, linkerd-proxy,
	// cilium-agent, ...) from Prometheus over the measurement window.
	Components map[string]float64 `json:"components,omitempty"`
	// Notes say what could not be measured, e.g. a Prometheus that failed mid-run.
	Notes []string `json:"notes,omitempty"`
}

// CPUSample is one sampling interval's CPU use in cores.
type CPUSample struct {
	Start    time.Duration `json:"startNs"`
	Duration time.Duration `json:"durationNs"`
	User     float64       `json:"user"`
	System   float64       `json:"system"`
	Softirq  float64       `json:"softirq"`
	Steal    float64       `json:"steal"`
	Idle     float64       `json:"idle"`
	Cgroup   float64       `json:"cgroup,omitempty"`
}

// Busy is the node's CPU in use in cores: user, nice, system, irq and softirq
// (steal and iowait are time the node's CPUs did not work for it).
func (c *CPU) Busy() float64 {
	if c == nil {
		return 0
	}
	return c.User + c.Nice + c.System + c.IRQ + c.Softirq
}

// CoresPerGbps is the node's busy CPU per Gbit/s of a throughput cell, the
// cost of moving the bytes; ok is false without both measurements.
func (c *Cell) CoresPerGbps() (cores float64, ok bool) {
	g := c.Throughput.Gbps()
	if c.CPU == nil || g <= 0 {
		return 0, false
	}
	return c.CPU.Busy() / g, true
}

// Enforcement records how a step's policies were confirmed before measuring.
type Enforcement struct {
	// Enforced is true when the probe was denied (or no policy exists) and the client allowed.
	Enforced bool `json:"enforced"`
	// ProbeDenied is true when a pod no policy allows could not connect.
	ProbeDenied bool `json:"probeDenied"`
	// ClientAllowed is true when the client could connect.
	ClientAllowed bool `json:"clientAllowed"`
	// After is the time from the end of the apply to enforcement.
	After time.Duration `json:"afterNs"`
	// Applied is the number of objects created or changed for this step.
	Applied int `json:"applied"`
	// ApplyTook is how long applying the step's difference took.
	ApplyTook time.Duration `json:"applyTookNs"`
}
