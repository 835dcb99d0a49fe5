package runner

import (
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/meshes"
	"github.com/meshbench/meshbench/policies"
)

// Config is one study.
type Config struct {
	// Plan is the policy kind, shape and steps; its Namespace and RunID are
	// filled from the Config.
	Plan generators.Plan
	// Meshes are the configurations to measure, each in its own namespace
	// (default: none).
	Meshes []meshes.Mesh
	// Namespace to work in; empty means a new one, meshbench-<run id>,
	// created and removed by the run.
	Namespace string
	RunID     string
	Image     string
	// Placement of the client against the server; empty picks cross-node
	// when the cluster has two nodes or more, else same-node.
	Placement cluster.Placement
	// Via is how the client reaches the servers: "pod-ip" or "service".
	Via  string
	Load Load
	// Measures are what every step measures; the zero value means request
	// latency alone.
	Measures Measures
	// EnforceTimeout bounds the wait for a step's policies to be enforced.
	EnforceTimeout time.Duration
	// PodTimeout bounds the wait for a pod to be ready or a client to finish
	// beyond its expected measuring time.
	PodTimeout time.Duration
	// Keep leaves the run's objects in place at the end (for inspection).
	Keep bool
	// Log receives progress lines (nil: none).
	Log io.Writer
	// Progress, when set (a terminal), shows a bar with the step measured
	// and the ETA of the study; Log's lines then print above it.
	Progress io.Writer

	// omit drops objects from every step: a test leaves out the allowing
	// policy to prove that the others do not admit the client.
	omit func(*unstructured.Unstructured) bool
}

// Load are the client's load settings, passed to `meshbench load` in the pod.
type Load struct {
	Sizes     []string
	Requests  int
	Rate      float64
	Warmup    int
	Rounds    int
	Timeout   time.Duration
	KeepAlive bool
}

// Via values.
const (
	ViaPodIP   = "pod-ip"
	ViaService = "service"
)

// Validate checks what can be checked without a cluster; errors name the flag.
func (c *Config) Validate() error {
	if c.Via != ViaPodIP && c.Via != ViaService {
		return fmt.Errorf("--via %q: want pod-ip or service", c.Via)
	}
	switch c.Placement {
	case "", cluster.SameNode, cluster.CrossNode:
	default:
		return fmt.Errorf("--placement %q: want same-node or cross-node", c.Placement)
	}
	if c.Load.Requests <= 0 {
		return fmt.Errorf("--requests %d: want a positive number of requests per size and arm", c.Load.Requests)
	}
	if c.Load.Rate <= 0 {
		return fmt.Errorf("--rate %v: want a positive number of requests per second, e.g. 100", c.Load.Rate)
	}
	if len(c.Load.Sizes) == 0 {
		return fmt.Errorf("--sizes: want at least one size, e.g. .5k,1k,10k")
	}
	if c.Plan.Shape == policies.ShapeIPBlock {
		// Each step's client is a new pod with a new address, unknown when
		// the step's policies are written.
		return fmt.Errorf("--shape ipblock: run cannot know the client pod's address before it starts; use it with meshbench generate --client-cidr")
	}
	if c.EnforceTimeout <= 0 {
		return fmt.Errorf("--enforce-timeout %s: want a positive duration, e.g. 60s", c.EnforceTimeout)
	}
	return nil
}

// clientArgs are the arguments of `meshbench load` in the client pod.
func (l Load) clientArgs(targetURL, controlURL string) []string {
	args := []string{
		"--target", "target=" + targetURL,
		"--target", "control=" + controlURL,
		"--sizes", strings.Join(l.Sizes, ","),
		"--requests", fmt.Sprint(l.Requests),
		"--rate", fmt.Sprint(l.Rate),
		"--warmup", fmt.Sprint(l.Warmup),
		"--rounds", fmt.Sprint(l.Rounds),
		"--timeout", l.Timeout.String(),
		"-o", "-",
		// A new client pod is admitted once the policy engine has learnt its
		// address; wait for that rather than fail the first connection.
		"--wait-reachable", "60s",
	}
	if l.KeepAlive {
		args = append(args, "--keepalive")
	}
	return args
}

// expected is how long one step's measuring should take: both arms share the
// window, each at the rate.
func (l Load) expected() time.Duration {
	perArm := float64(len(l.Sizes)*(l.Requests+l.Warmup)) / l.Rate
	return time.Duration(perArm * float64(time.Second))
}
