package runner

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/meshes"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// Config is one study.
type Config struct {
	// Plan is the policy kind, shape and steps; its Namespace and RunID are
	// filled from the Config.
	Plan generators.Plan
	// Shapes are the decoy shapes to measure one after another in one study
	// (--shape a,b): every shape steps through Plan.Steps, and the step
	// without policies, the same for all, is measured once. Empty means
	// Plan.Shape alone.
	Shapes []policies.Shape
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
	// NodeAccess opens a node's datapath for --measure datapath: the lab
	// enters its node's namespace; nil, or an error, skips the measurement
	// with the reason in the document's notes.
	NodeAccess func(node string) (datapath.Node, error)
	// DatapathPod reads the server's node for --measure datapath through a
	// privileged hostNetwork pod the run creates on it (and deletes at its
	// end, also with Keep), in place of NodeAccess: the way on a cluster
	// whose nodes meshbench cannot enter.
	DatapathPod bool
	// Checkpoint, when set, is given the document after every measured
	// step, to write it where a run killed later (SIGKILL, a lost node)
	// leaves every completed step; an error stops the run.
	Checkpoint func(*results.Document) error

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
	if len(c.Load.Sizes) == 0 {
		return fmt.Errorf("--sizes: want at least one size, e.g. .5k,1k,10k")
	}
	if err := c.Load.validate(c.cells()); err != nil {
		return err
	}
	if strings.ContainsFunc(c.Image, unicode.IsSpace) {
		return fmt.Errorf("--image %q: want an image reference the cluster can pull, e.g. %s", c.Image, cluster.DefaultImage)
	}
	if c.Namespace != "" {
		if errs := validation.IsDNS1123Label(c.Namespace); len(errs) > 0 {
			return fmt.Errorf("--namespace %q: want a namespace name: 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit", c.Namespace)
		}
	}
	if c.PodTimeout < 0 {
		return fmt.Errorf("--pod-timeout %s: want a positive duration, e.g. 3m", c.PodTimeout)
	}
	if n := c.Measures.RTTRequests; c.Measures.RTT && n > loadgen.MaxSamples(c.cells()) {
		return fmt.Errorf("--rtt-requests %d: want a number of round trips per mode and arm %s", n, loadgen.SampleLimit(c.cells()))
	}
	for _, shape := range c.shapes() {
		if shape == policies.ShapeIPBlock {
			// Each step's client is a new pod with a new address, unknown
			// when the step's policies are written.
			return fmt.Errorf("--shape ipblock: run cannot know the client pod's address before it starts; use it with meshbench generate --client-cidr")
		}
	}
	if c.DatapathPod && !c.Measures.Datapath {
		return fmt.Errorf("--datapath-pod: the pod reads the server node's datapath for --measure datapath; add datapath to --measure")
	}
	if c.EnforceTimeout <= 0 {
		return fmt.Errorf("--enforce-timeout %s: want a positive duration, e.g. 60s", c.EnforceTimeout)
	}
	return nil
}

// validate checks the load settings with the rules and messages of
// meshbench load, which runs them in the client pod; the samples of every
// step come back to this process, so the counts must also fit here.
func (l Load) validate(cells int) error {
	lc := loadgen.Config{
		Targets: []loadgen.Target{
			{Name: results.ArmTarget, URL: "http://target.invalid"},
			{Name: results.ArmControl, URL: "http://control.invalid"},
		},
		Requests: l.Requests, Rate: l.Rate, Warmup: l.Warmup, Rounds: l.Rounds,
		Timeout: l.Timeout, KeepAlive: l.KeepAlive,
	}
	var err error
	if lc.Sizes, err = loadgen.ParseSizes(l.Sizes); err != nil && len(l.Sizes) > 0 {
		return fmt.Errorf("--sizes %q: %v", strings.Join(l.Sizes, ","), err)
	}
	if err := lc.ValidateFlags(); err != nil {
		var ce *loadgen.ConfigError
		if errors.As(err, &ce) {
			return errors.New(ce.FlagMessage())
		}
		return err
	}
	if l.Requests > loadgen.MaxSamples(cells) {
		return fmt.Errorf("--requests %d: want a number of requests per size and arm %s", l.Requests, loadgen.SampleLimit(cells))
	}
	return nil
}

// cells is the most measurement cells of one kind the run's document
// holds: every configuration, step, size and arm.
func (c *Config) cells() int {
	return max(len(c.Meshes), 1) * max(c.measuredSteps(), 1) * max(len(c.Load.Sizes), 1) * 2
}

// shapes are the decoy shapes the study measures, in order.
func (c *Config) shapes() []policies.Shape {
	if len(c.Shapes) == 0 {
		return []policies.Shape{c.Plan.Shape}
	}
	return c.Shapes
}

// measuredSteps is how many steps one configuration measures: every step of
// the first shape, and the steps with policies of the others.
func (c *Config) measuredSteps() int {
	n := len(c.Plan.Steps)
	for _, step := range c.Plan.Steps {
		if step > 0 {
			n += len(c.shapes()) - 1
		}
	}
	return n
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
