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
	// Arm is ArmTarget, ArmControl, or a target's label for plain loads.
	Arm string `json:"arm"`
	// URL is the target the arm's requests went to (without the size).
	URL string `json:"url,omitempty"`
	// Size is the response body size in bytes, SizeLabel as the user wrote it.
	Size      int64  `json:"size"`
	SizeLabel string `json:"sizeLabel"`

	Latency     *Latency     `json:"latency,omitempty"`
	Throughput  *Throughput  `json:"throughput,omitempty"`
	RTT         *RTT         `json:"rtt,omitempty"`
	CPU         *CPU         `json:"cpu,omitempty"`
	Enforcement *Enforcement `json:"enforcement,omitempty"`
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
	Retransmits  int64     `json:"retransmits"`
	ServerBytes  int64     `json:"serverBytes,omitempty"`
	Connections  int64     `json:"connections,omitempty"`
}

// RTT is round-trip times on one connection (TCP_RR) or per connection (TCP_CRR).
type RTT struct {
	Mode      string  `json:"mode"` // "rr" or "crr"
	SamplesNs []int64 `json:"samplesNs"`
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
