package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/meshbench/meshbench/analysis"
	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/internal/atomicfile"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/loadgen"
	"github.com/meshbench/meshbench/meshes"
	"github.com/meshbench/meshbench/results"
	"github.com/meshbench/meshbench/runner"
)

func init() { register(newRunCmd) }

func newRunCmd() *cobra.Command {
	var (
		cfg        runner.Config
		cf         *clusterFlags
		steps      string
		sizes      string
		placement  string
		resultFile string
		table      resultsTableFlags
		meshList   string
		measure    string
		streams    string
		shapeList  string
	)
	cfg.Measures = runner.DefaultMeasures()
	cmd := &cobra.Command{
		Use:   "run [--policies 0,10,50,100,200] [--sizes .5k,1k,10k,100k,1M]",
		Short: "Measure request latency at every policy step on the cluster and print the overhead table",
		Long: `run deploys a target server, a control server no policy selects, and a client
in its own namespace on the cluster the kubeconfig points at (the lab, kind or
a cloud cluster). At every step it applies the step's policies (only the
difference to the previous step), confirms they are enforced (a probe pod no
policy allows is denied, the client is admitted), then runs the client, which
alternates requests between target and control with one new TCP connection
per request. It writes the results document and prints the table: request
duration per step and size, and the overhead against step 0 and against the
control measured in the same window, with 95% confidence intervals.

--measure adds (or replaces latency with) TCP throughput at each --streams
parallelism, TCP round trips on one connection (rr) and with a new connection
each (crr), and the CPU both sides used meanwhile; the servers then also listen
for streams on port 5201, which the allowing policy admits, and the report
shows those tables beside the latency table.

Ctrl-C or a failure removes everything the run created.`,
		Example: `  # The Romana study on the lab
  meshbench lab up && export KUBECONFIG=$(meshbench lab kubeconfig)
  meshbench run --policies 0,10,50,100,200 --sizes .5k,1k,10k,100k,1M`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if cfg.Plan.Steps, err = generators.ParseSteps(steps); err != nil {
				return usageErr(err)
			}
			for _, s := range strings.Split(sizes, ",") {
				if _, err := loadgen.ParseSize(strings.TrimSpace(s)); err != nil {
					return usagef("--sizes %q: %v", sizes, err)
				}
				cfg.Load.Sizes = append(cfg.Load.Sizes, strings.TrimSpace(s))
			}
			if err := cfg.Measures.Parse(measure); err != nil {
				return usageErr(err)
			}
			if cmd.Flags().Changed("streams") {
				if cfg.Measures.Streams, err = parseCounts(streams); err != nil {
					return err
				}
			}
			if err := cfg.Measures.Validate(); err != nil {
				return usageErr(err)
			}
			if table.plot != "" && !cfg.Measures.Latency {
				return usagef("--plot %q: the plot draws request latency; add latency to --measure", table.plot)
			}
			if cfg.Meshes, err = meshes.ParseMeshes(meshList); err != nil {
				return usagef("--mesh %q: %v", meshList, err)
			}
			cfg.Placement = cluster.Placement(placement)
			if cfg.RunID == "" {
				cfg.RunID = newRunID()
			} else if !validRunID(cfg.RunID) {
				return usagef("--run-id %q: want 1-40 lowercase letters, digits or '-'", cfg.RunID)
			}
			cfg.Plan.Namespace, cfg.Plan.RunID = "meshbench-"+cfg.RunID, cfg.RunID
			if cfg.Shapes, err = parseShapes(cfg.Plan, shapeList); err != nil {
				return usageErr(err)
			}
			cfg.Plan.Shape = cfg.Shapes[0]
			cfg.Namespace = cf.namespace(cmd.Flags())
			// The library takes a zero image and pod timeout for their
			// defaults; typed on the command line they are mistakes.
			if strings.TrimSpace(cfg.Image) == "" {
				return usagef("--image %q: want an image reference the cluster can pull, e.g. %s", cfg.Image, cluster.DefaultImage)
			}
			if cfg.PodTimeout <= 0 {
				return usagef("--pod-timeout %s: want a positive duration, e.g. 3m", cfg.PodTimeout)
			}
			if err := cfg.Validate(); err != nil {
				return usageErr(err)
			}
			topts, format, err := table.options(cmd.Context())
			if err != nil {
				return err
			}
			defer table.discard()
			if resultFile == "" {
				resultFile = "meshbench-" + cfg.RunID + ".json"
			}
			// The document is written after every step (replacing the file
			// atomically), so the path must be writable before the first.
			probe, err := atomicfile.Create(resultFile)
			if err != nil {
				return usagef("--results %q: %v; want a file in a directory that exists and can be written", resultFile, errors.Unwrap(err))
			}
			probe.Abort()
			cfg.Checkpoint = func(d *results.Document) error {
				d.Command, d.Flags = os.Args, changedFlags(cmd)
				return d.WriteFile(resultFile)
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			// The lab's nodes are namespaces this process can enter;
			// --datapath-pod reads them through a pod instead.
			cfg.NodeAccess = func(node string) (datapath.Node, error) {
				return lab.DatapathNode(lab.StateDirFromEnv(), node)
			}
			cfg.Log = os.Stderr
			if isTerminal(os.Stderr) {
				cfg.Progress = os.Stderr
			}
			start := time.Now()
			doc, runErr := runner.Run(cmd.Context(), c, cfg)
			var shapeErr *meshes.ShapeError
			if errors.As(runErr, &shapeErr) {
				return usageErr(runErr)
			}
			if doc != nil && len(doc.Cells) > 0 {
				doc.Command = os.Args
				doc.Flags = changedFlags(cmd)
				if err := doc.WriteFile(resultFile); err != nil {
					return fmt.Errorf("write %s: %w", resultFile, err)
				}
				fmt.Fprintf(os.Stderr, "results in %s (%s)\n", resultFile, time.Since(start).Round(time.Second))
				if runErr == nil {
					rep, err := analysis.BuildReport([]analysis.Source{{Docs: []*results.Document{doc}}}, topts)
					if err := interrupted(cmd.Context(), "run's report (the results are written: meshbench report "+resultFile+")"); err != nil {
						return err
					}
					if err != nil {
						return err
					}
					return table.render(cmd.OutOrStdout(), rep, format)
				}
			}
			return runErr
		},
	}
	f := cmd.Flags()
	f.StringVar(&steps, "policies", "0,10,50,100,200", "policy counts to step through, comma-separated; 0 = no policy")
	f.StringVar((*string)(&cfg.Plan.Kind), "kind", "networkpolicy", "policy kind: networkpolicy, cilium, istio or linkerd")
	f.StringVar(&shapeList, "shape", "", "decoy policy shapes, comma-separated: each steps through --policies in one study, sharing step 0 (see meshbench generate --help); default the kind's first shape, the Romana method's")
	f.StringVar(&meshList, "mesh", "none", "configurations to measure, comma-separated: none, istio-ambient, linkerd, cilium, cilium-wireguard, cilium-ipsec")
	f.StringVar(&measure, "measure", runner.MeasureLatency, "what to measure at every step, comma-separated: latency (HTTP requests), throughput (TCP streams), rtt (TCP_RR and TCP_CRR round trips), cpu (during throughput and rtt), datapath (the server node's rule checks, CPU and load around every latency window; on the lab, or with --datapath-pod)")
	f.BoolVar(&cfg.DatapathPod, "datapath-pod", false, "datapath: read the server's node through a pod the run creates on it and deletes at its end: hostNetwork, privileged as root, the node's / mounted read-only (see README); for clusters other than the lab")
	f.StringVar(&streams, "streams", "1,4", "throughput: parallel connection counts to measure, comma-separated")
	f.DurationVar(&cfg.Measures.StreamDuration, "stream-duration", cfg.Measures.StreamDuration, "throughput: measured time per stream setting and arm")
	f.DurationVar(&cfg.Measures.StreamOmit, "stream-omit", cfg.Measures.StreamOmit, "throughput: start-up time left out of every figure (slow start)")
	f.IntVar(&cfg.Measures.RTTRequests, "rtt-requests", cfg.Measures.RTTRequests, "rtt: round trips per mode (rr, crr) and arm")
	f.Float64Var(&cfg.Measures.RTTRate, "rtt-rate", 0, "rtt: round trips per second and arm, e.g. 100 to space crr's new connections as the HTTP load's are; 0 runs them back to back")
	f.StringVar(&sizes, "sizes", ".5k,1k,10k,100k,1M", "response sizes, comma-separated (k = 1000, Ki = 1024)")
	f.IntVar(&cfg.Load.Requests, "requests", 2000, "measured requests per size and arm")
	f.Float64Var(&cfg.Load.Rate, "rate", 100, "requests per second per arm, below saturation")
	f.IntVar(&cfg.Load.Warmup, "warmup", 20, "requests per arm discarded before measuring")
	f.IntVar(&cfg.Load.Rounds, "rounds", 1, "interleave sizes in this many rounds so drift hits all alike")
	f.DurationVar(&cfg.Load.Timeout, "timeout", 10*time.Second, "timeout of one request")
	f.BoolVar(&cfg.Load.KeepAlive, "keepalive", false, "reuse connections (default: one new TCP connection per request)")
	f.StringVar(&cfg.Image, "image", cluster.DefaultImage, "meshbench image of the server, client and probe pods")
	f.StringVar(&placement, "placement", "", "client placement: cross-node or same-node (default cross-node on 2+ nodes)")
	f.StringVar(&cfg.Via, "via", runner.ViaPodIP, "how the client reaches the servers: pod-ip or service")
	f.DurationVar(&cfg.EnforceTimeout, "enforce-timeout", 60*time.Second, "how long a step's policies may take to be enforced")
	f.DurationVar(&cfg.PodTimeout, "pod-timeout", 3*time.Minute, "how long a pod may take to be ready")
	f.BoolVar(&cfg.Keep, "keep", false, "leave the run's objects on the cluster at the end")
	f.StringVar(&cfg.RunID, "run-id", "", "run id (label meshbench.io/run); default a random one")
	f.StringVar(&resultFile, "results", "", "results document, rewritten after every step so a killed run keeps the steps it measured (default meshbench-<run id>.json)")
	table.add(f, `baseline step (default "0")`)
	cf = newClusterFlags(f)
	return cmd
}

// newRunID returns a short random id usable in labels and namespace names.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func validRunID(s string) bool {
	if len(s) == 0 || len(s) > 40 || s[0] == '-' || s[len(s)-1] == '-' {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// changedFlags records the flags the user set, for the results document.
func changedFlags(cmd *cobra.Command) map[string]string {
	out := map[string]string{}
	cmd.Flags().Visit(func(f *pflag.Flag) { out[f.Name] = f.Value.String() })
	return out
}
