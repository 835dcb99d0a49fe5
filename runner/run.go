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
	"github.com/meshbench/meshbench/results"
)

// run is the state of one study.
type run struct {
	cfg       Config
	c         *cluster.Client
	ns        string
	placement cluster.Placement
	doc       *results.Document
}

func (r *run) workload() cluster.Workload {
	return cluster.Workload{Namespace: r.ns, RunID: r.cfg.RunID, Image: r.cfg.Image, Placement: r.placement}
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
	r := &run{cfg: cfg, c: c, ns: cfg.Namespace, doc: results.New()}
	if r.ns == "" {
		r.ns = "meshbench-" + cfg.RunID
	}
	r.cfg.Plan.Namespace, r.cfg.Plan.RunID = r.ns, cfg.RunID
	if r.cfg.Plan.Port == 0 {
		r.cfg.Plan.Port = cluster.ServerPort
	}
	if err := r.cfg.Plan.Validate(); err != nil {
		return nil, err
	}
	facts, err := c.Facts(ctx)
	if err != nil {
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

	createdNS, err := c.EnsureNamespace(ctx, r.ns, cfg.RunID)
	if err != nil {
		return nil, err
	}
	if !cfg.Keep {
		defer func() {
			// Clean up with a context of its own: ctx may be the one Ctrl-C cancelled.
			cctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			r.logf("cleaning up run %s", cfg.RunID)
			if _, cerr := c.DeleteRun(cctx, cfg.RunID); cerr != nil {
				err = errors.Join(err, fmt.Errorf("cleanup of run %s: %w (run `meshbench cleanup --run %s`)", cfg.RunID, cerr, cfg.RunID))
			}
		}()
	}
	_ = createdNS

	targetURL, controlURL, err := r.deployServers(ctx)
	if err != nil {
		return r.doc, err
	}
	if err := r.startProbers(ctx, targetURL); err != nil {
		return r.doc, err
	}
	var prev []*unstructured.Unstructured
	for i, step := range r.cfg.Plan.Steps {
		objs, err := r.cfg.Plan.Objects(step)
		if err != nil {
			return r.doc, err
		}
		if r.cfg.omit != nil {
			objs = slices.DeleteFunc(objs, r.cfg.omit)
		}
		enf, err := r.applyStep(ctx, step, prev, objs)
		if err != nil {
			return r.doc, err
		}
		prev = objs
		r.logf("step %d/%d: %d policies, applied %d objects in %s, enforced after %s; measuring for ~%s",
			i+1, len(r.cfg.Plan.Steps), step, enf.Applied, enf.ApplyTook.Round(time.Millisecond),
			enf.After.Round(time.Millisecond), cfg.Load.expected().Round(time.Second))
		cells, err := r.measure(ctx, fmt.Sprintf("meshbench-client-%d", i), targetURL, controlURL)
		if err != nil {
			return r.doc, fmt.Errorf("step %d: %w", step, err)
		}
		for j := range cells {
			cells[j].Step = fmt.Sprint(step)
			cells[j].Policies = step
			cells[j].PolicyKind = string(r.cfg.Plan.Kind)
			if cells[j].Arm == results.ArmTarget {
				cells[j].Enforcement = enf
			}
		}
		r.doc.Cells = append(r.doc.Cells, cells...)
	}
	return r.doc, nil
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
	}
	return urls[cluster.RoleServer], urls[cluster.RoleControl], nil
}
