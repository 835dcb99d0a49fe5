package runner

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/meshes"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/results"
)

// run is the state of one study.
type run struct {
	cfg       Config
	c         *cluster.Client
	prog      *progress
	ns        string
	placement cluster.Placement
	// serverNodes are the nodes of the target's and the control's servers,
	// by arm.
	serverNodes map[string]string
	// targetIP is the target server pod's address.
	targetIP string
	doc      *results.Document
	// step names the step being measured, for the progress bar.
	step string
	// datapathPods are the pods reading nodes for --datapath-pod, by node.
	datapathPods map[string]*datapathPod
	// measured counts the steps measured so far across meshes and shapes:
	// it names each step's client pods.
	measured int
}

func (r *run) workload() cluster.Workload {
	return cluster.Workload{Namespace: r.ns, RunID: r.cfg.RunID, Image: r.cfg.Image, Placement: r.placement, Streams: r.cfg.Measures.streams()}
}

func (r *run) logf(format string, a ...any) {
	if r.cfg.Log != nil {
		fmt.Fprintf(r.cfg.Log, format+"\n", a...)
	}
}

// Run carries out the study cfg on the cluster c and returns its results.
// Whatever happens — success, failure or ctx cancelled (Ctrl-C) — it removes
// the objects it created unless cfg.Keep is set; the returned document holds
// the steps measured before a failure.
func Run(ctx context.Context, c *cluster.Client, cfg Config) (doc *results.Document, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Measures.String() == "" {
		cfg.Measures = DefaultMeasures()
	}
	if err := cfg.Measures.Validate(); err != nil {
		return nil, err
	}
	if len(cfg.Meshes) == 0 {
		cfg.Meshes = []meshes.Mesh{meshes.None}
	}
	if cfg.Namespace != "" && len(cfg.Meshes) > 1 {
		return nil, fmt.Errorf("--namespace: several meshes need a namespace each, which meshbench creates; leave -n out")
	}
	r := &run{cfg: cfg, c: c, doc: results.New()}
	if r.cfg.Plan.Port == 0 {
		r.cfg.Plan.Port = cluster.ServerPort
	}
	r.cfg.Plan.RunID = cfg.RunID
	r.setNamespace(cfg.Meshes[0])
	for _, shape := range cfg.shapes() {
		p := r.cfg.Plan
		p.Shape = shape
		if err := p.Validate(); err != nil {
			return nil, err
		}
	}
	facts, err := c.Facts(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.requireMeshes(ctx, facts); err != nil {
		return nil, err
	}
	r.placement = cfg.Placement
	if r.placement == "" {
		r.placement = cluster.SameNode
		if len(facts.Nodes) > 1 {
			r.placement = cluster.CrossNode
		}
	}
	if r.placement == cluster.CrossNode && len(facts.Nodes) < 2 {
		return nil, fmt.Errorf("--placement cross-node needs two nodes or more; the cluster has %d", len(facts.Nodes))
	}
	facts.Placement, facts.Namespace = string(r.placement), r.ns
	r.doc.Cluster, r.doc.RunID = facts, cfg.RunID
	r.doc.Load = results.Load{Rate: cfg.Load.Rate, Requests: cfg.Load.Requests, Warmup: cfg.Load.Warmup,
		Rounds: cfg.Load.Rounds, KeepAlive: cfg.Load.KeepAlive, Timeout: cfg.Load.Timeout, Sizes: cfg.Load.Sizes}
	if err := r.checkAccess(ctx); err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer func() {
			// Clean up with a context of its own: ctx may be the one Ctrl-C cancelled.
			cctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			r.logf("cleaning up run %s", cfg.RunID)
			if _, cerr := c.DeleteRun(cctx, cfg.RunID); cerr != nil {
				err = errors.Join(err, fmt.Errorf("cleanup of run %s: %w (run `meshbench cleanup --run %s`)", cfg.RunID, cerr, cfg.RunID))
			}
		}()
	}
	// Before the cleanup above, and also with Keep: no privileged pod stays.
	defer func() { err = errors.Join(err, r.removeDatapathPods()) }()
	r.prog = newProgress(ctx, cfg.Progress, time.Duration(len(cfg.Meshes)*cfg.measuredSteps())*r.expected())
	defer r.prog.close()
	r.cfg.Log = r.prog.writer(cfg.Log)
	for _, mesh := range cfg.Meshes {
		r.setNamespace(mesh)
		if err := r.measureMesh(ctx, mesh); err != nil {
			return r.doc, err
		}
	}
	return r.doc, nil
}

// setNamespace points the run and its plan at mesh's namespace: the one
// given with -n, else meshbench-<run id>, with the mesh's name appended when
// the run measures several.
func (r *run) setNamespace(mesh meshes.Mesh) {
	r.ns = r.cfg.Namespace
	if r.ns == "" {
		r.ns = "meshbench-" + r.cfg.RunID
		if len(r.cfg.Meshes) > 1 {
			r.ns += "-" + string(mesh)
		}
	}
	r.cfg.Plan.Namespace = r.ns
}

// measureMesh deploys the servers and probers in mesh's namespace, confirms
// they are enrolled, and measures every step.
func (r *run) measureMesh(ctx context.Context, mesh meshes.Mesh) error {
	if _, err := r.c.EnsureNamespace(ctx, r.ns, r.cfg.RunID); err != nil {
		return err
	}
	if err := meshes.Enrol(ctx, r.c.Kube, r.ns, mesh); err != nil {
		return err
	}
	if mesh == meshes.IstioAmbient {
		// Ambient's mTLS is opportunistic until PeerAuthentication says STRICT.
		pa, err := policies.PeerAuthenticationStrict(r.cfg.Plan.Target())
		if err != nil {
			return err
		}
		if err := r.c.Apply(ctx, []*unstructured.Unstructured{pa}, cluster.ApplyOptions{}); err != nil {
			return err
		}
	}
	targetURL, controlURL, err := r.deployServers(ctx)
	if err != nil {
		return err
	}
	r.startDatapathPodEarly(ctx)
	if err := r.startProbers(ctx, targetURL); err != nil {
		return err
	}
	if err := r.checkEnrolled(ctx, mesh); err != nil {
		return err
	}
	var prev []*unstructured.Unstructured
	n, total := 0, r.cfg.measuredSteps()
	for si, shape := range r.cfg.shapes() {
		r.cfg.Plan.Shape = shape
		for _, step := range r.cfg.Plan.Steps {
			if si > 0 && step == 0 {
				continue // no policies: the same step for every shape, measured once
			}
			n++
			objs, err := r.measureStepOf(ctx, mesh, step, fmt.Sprintf("step %d/%d", n, total), prev, targetURL, controlURL)
			if err != nil {
				return err
			}
			prev = objs
		}
	}
	// The mesh's policies go before the next mesh is measured.
	if len(prev) > 0 {
		if err := r.c.Delete(ctx, prev, cluster.ApplyOptions{}); err != nil {
			return err
		}
	}
	return nil
}

// measureStepOf applies the plan's objects at step in place of prev,
// measures the step and records its cells; it returns the objects in force.
func (r *run) measureStepOf(ctx context.Context, mesh meshes.Mesh, step int, ofTotal string, prev []*unstructured.Unstructured, targetURL, controlURL string) ([]*unstructured.Unstructured, error) {
	objs, err := r.cfg.Plan.Objects(step)
	if err != nil {
		return nil, err
	}
	if r.cfg.omit != nil {
		objs = slices.DeleteFunc(objs, r.cfg.omit)
	}
	if r.cfg.Measures.streams() {
		admitStreamPort(objs)
	}
	enf, err := r.applyStep(ctx, step, prev, objs)
	if err != nil {
		return nil, err
	}
	shape := ""
	if step > 0 {
		shape = string(r.shape())
	}
	what := fmt.Sprintf("%d policies", step)
	if shape != "" && len(r.cfg.shapes()) > 1 {
		what = fmt.Sprintf("%d %s policies", step, shape)
	}
	r.step = fmt.Sprintf("%s %s, %s", mesh, ofTotal, what)
	r.logf("%s %s: %s, applied %d objects in %s, enforced after %s; measuring for ~%s",
		mesh, ofTotal, what, enf.Applied, enf.ApplyTook.Round(time.Millisecond),
		enf.After.Round(time.Millisecond), r.expected().Round(time.Second))
	cells, err := r.measureStep(ctx, r.measured, targetURL, controlURL)
	if err != nil {
		return objs, fmt.Errorf("%s step %d: %w", mesh, step, err)
	}
	r.measured++
	for j := range cells {
		cells[j].Mesh = string(mesh)
		cells[j].Step = fmt.Sprint(step)
		cells[j].Policies = step
		cells[j].PolicyKind = string(r.cfg.Plan.Kind)
		cells[j].Shape = shape
		cells[j].ServerNode = r.serverNodes[cells[j].Arm]
		if cells[j].Arm == results.ArmTarget {
			cells[j].Enforcement = enf
		}
	}
	return objs, r.record(cells)
}

// shape is the resolved shape of the plan's decoys.
func (r *run) shape() policies.Shape {
	s, err := policies.ParseShape(r.cfg.Plan.Kind, string(r.cfg.Plan.Shape))
	if err != nil {
		return r.cfg.Plan.Shape // not reached: Run validated every shape
	}
	return s
}

// applyStep applies the difference between the previous step's objects and
// this step's, then waits until the data plane enforces the new state.
func (r *run) applyStep(ctx context.Context, step int, prev, next []*unstructured.Unstructured) (*results.Enforcement, error) {
	apply, remove := generators.Diff(prev, next)
	start := time.Now()
	if err := r.c.Apply(ctx, apply, cluster.ApplyOptions{}); err != nil {
		return nil, err
	}
	if err := r.c.Delete(ctx, remove, cluster.ApplyOptions{}); err != nil {
		return nil, err
	}
	applied := time.Now()
	enf, err := r.waitEnforced(ctx, step, applied)
	if err != nil {
		return nil, err
	}
	enf.Applied = len(apply) + len(remove)
	enf.ApplyTook = applied.Sub(start)
	return enf, nil
}

// deployServers starts the target and control servers and returns the URLs
// the client uses for them.
func (r *run) deployServers(ctx context.Context) (targetURL, controlURL string, err error) {
	w := r.workload()
	objs, err := cluster.ToUnstructured(w.ServiceAccount(),
		w.Server(cluster.RoleServer), w.Service(cluster.RoleServer),
		w.Server(cluster.RoleControl), w.Service(cluster.RoleControl))
	if err != nil {
		return "", "", err
	}
	if err := r.c.Apply(ctx, objs, cluster.ApplyOptions{}); err != nil {
		return "", "", err
	}
	urls := map[string]string{}
	for _, role := range []string{cluster.RoleServer, cluster.RoleControl} {
		sel := fmt.Sprintf("%s=%s,%s=%s", cluster.LabelRun, r.cfg.RunID, cluster.LabelRole, role)
		pod, err := r.c.WaitReadyPod(ctx, r.ns, sel, r.cfg.PodTimeout)
		if err != nil {
			return "", "", err
		}
		host := pod.Status.PodIP
		if r.cfg.Via == ViaService {
			host = fmt.Sprintf("%s.%s.svc", cluster.ServerName(role), r.ns)
			svc, err := r.c.Kube.CoreV1().Services(r.ns).Get(ctx, cluster.ServerName(role), metav1.GetOptions{})
			if err != nil {
				return "", "", err
			}
			// The ClusterIP, not the DNS name: a cluster without DNS (the lab) still works.
			host = svc.Spec.ClusterIP
		}
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		urls[role] = fmt.Sprintf("http://%s:%d", host, cluster.ServerPort)
		r.logf("%s ready: pod %s on node %s, %s", role, pod.Name, pod.Spec.NodeName, urls[role])
		arm := results.ArmTarget
		if role == cluster.RoleControl {
			arm = results.ArmControl
		}
		if r.serverNodes == nil {
			r.serverNodes = map[string]string{}
		}
		r.serverNodes[arm] = pod.Spec.NodeName
		if arm == results.ArmTarget {
			r.targetIP = pod.Status.PodIP
		}
	}
	return urls[cluster.RoleServer], urls[cluster.RoleControl], nil
}
