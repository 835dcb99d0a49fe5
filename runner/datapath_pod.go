package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/results"
)

// agentStale is how long the datapath pod may send nothing before a read
// fails: ten of its samples.
const agentStale = 10 * time.Second

// datapathPod is the pod that reads one node's datapath for
// --datapath-pod, and the node read through its log.
type datapathPod struct {
	ns, name string
	node     *datapath.AgentNode
	err      error // why the node cannot be read this way; kept, not retried
	stop     context.CancelFunc
}

// datapathPodNode is server's node read through a datapath pod on it: the
// first call creates the pod and follows its log; later ones reuse it.
func (r *run) datapathPodNode(ctx context.Context, server string) (datapath.Node, error) {
	if p, ok := r.datapathPods[server]; ok {
		if p.err != nil {
			return nil, p.err
		}
		return p.node, nil
	}
	if r.datapathPods == nil {
		r.datapathPods = map[string]*datapathPod{}
	}
	p := &datapathPod{ns: r.ns, name: cluster.DatapathPodName(len(r.datapathPods) + 1)}
	// Kept before it exists, so that whatever happens next it is removed.
	r.datapathPods[server] = p
	p.node, p.err = r.startDatapathPod(ctx, p, server)
	if p.err != nil {
		p.err = fmt.Errorf("datapath pod %s/%s on node %s: %w", p.ns, p.name, server, p.err)
		return nil, p.err
	}
	note := fmt.Sprintf("datapath of node %s read through pod %s/%s (%s): iptables-save -c and the host's /proc/stat and /proc/loadavg once a second; BPF programs' run statistics are not read this way",
		server, p.ns, p.name, strings.Join(cluster.DatapathAgentCommand(), " "))
	r.doc.Notes = append(r.doc.Notes, note)
	return p.node, nil
}

// startDatapathPodEarly creates the datapath pod for --datapath-pod as
// soon as the target's node is known, before the probers and the first
// step: kube-router rewrites its rules on every pod event (the target's
// chain gets a new name), and that rewrite belongs before the first
// window, not in it. A failure is kept for the window to note.
func (r *run) startDatapathPodEarly(ctx context.Context) {
	if r.cfg.DatapathPod && r.cfg.Measures.Datapath {
		_, _ = r.datapathPodNode(ctx, r.serverNodes[results.ArmTarget])
	}
}

func (r *run) startDatapathPod(ctx context.Context, p *datapathPod, server string) (*datapath.AgentNode, error) {
	objs, err := cluster.ToUnstructured(r.workload().DatapathAgent(p.name, server))
	if err != nil {
		return nil, err
	}
	r.logf("datapath: creating pod %s/%s on node %s, running %q, with %s; it is deleted when the run ends",
		p.ns, p.name, server, strings.Join(cluster.DatapathAgentCommand(), " "), cluster.DatapathPrivileges)
	if err := r.c.Apply(ctx, objs, cluster.ApplyOptions{}); err != nil {
		return nil, err
	}
	pod, err := r.c.WaitReadyPod(ctx, p.ns, "name="+p.name, r.cfg.PodTimeout)
	if err != nil {
		return nil, err
	}
	if pod.Spec.NodeName != server || !pod.Spec.HostNetwork {
		return nil, fmt.Errorf("runs on node %q with hostNetwork %v, want node %s with the node's network", pod.Spec.NodeName, pod.Spec.HostNetwork, server)
	}
	fctx, stop := context.WithCancel(ctx)
	logs, err := r.c.FollowLogs(fctx, p.ns, p.name)
	if err != nil {
		stop()
		return nil, err
	}
	p.stop = func() { stop(); logs.Close() }
	r.logf("datapath: pod %s/%s running on node %s at %s (the node's address); following its log", p.ns, p.name, pod.Spec.NodeName, pod.Status.PodIP)
	return datapath.FollowAgent(server, logs, agentStale), nil
}

// removeDatapathPods deletes the run's datapath pods, also when the run
// keeps its other objects: a privileged pod is not left behind. It uses a
// context of its own, as ctx may be the one Ctrl-C cancelled.
func (r *run) removeDatapathPods() error {
	if len(r.datapathPods) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	for _, p := range r.datapathPods {
		if p.stop != nil {
			p.stop()
		}
		err := r.c.Kube.CoreV1().Pods(p.ns).Delete(ctx, p.name, metav1.DeleteOptions{})
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			errs = append(errs, fmt.Errorf("delete datapath pod %s/%s: %w", p.ns, p.name, err))
		default:
			r.logf("datapath: deleted pod %s/%s", p.ns, p.name)
		}
	}
	r.datapathPods = nil
	return errors.Join(errs...)
}

// noNodeAccess is why a node's datapath is not read without --datapath-pod.
func noNodeAccess(server string, err error) error {
	const hint = "on a cluster other than the lab, --datapath-pod reads it through a privileged hostNetwork pod on the node"
	if err == nil {
		return fmt.Errorf("no access to node %s: meshbench enters the lab's nodes directly; %s", server, hint)
	}
	return fmt.Errorf("%w; %s", err, hint)
}
