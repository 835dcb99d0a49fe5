package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// Lab is a running lab.
type Lab struct {
	opts   Options
	l      layout
	nodes  []Node
	reused bool
}

// Kubeconfig is the path of the lab's admin kubeconfig.
func (lab *Lab) Kubeconfig() string { return lab.l.kubeconfig() }

// StateDir is the lab's state directory.
func (lab *Lab) StateDir() string { return lab.l.dir() }

// Nodes are the lab's nodes.
func (lab *Lab) Nodes() []Node { return append([]Node(nil), lab.nodes...) }

// Reused reports whether Start found this lab already running rather than
// starting it.
func (lab *Lab) Reused() bool { return lab.reused }

// Stop stops the lab and removes everything it made on the host (see Down).
func (lab *Lab) Stop(ctx context.Context) error { return Down(ctx, lab.opts) }

// Start brings a lab of o.Nodes nodes up at o.StateDir and waits until it is
// ready: the apiserver healthy, every node Ready, the default ServiceAccount
// present, every kube-proxy healthy and every kube-router's chains in place.
// A healthy lab already running there with as many nodes is reused; one with
// another node count, or the leftovers of a crashed one, are removed first.
// A *PreflightError means the host cannot run the lab as it is; then nothing
// was created. On any other failure everything started is removed again.
func Start(ctx context.Context, o Options) (*Lab, error) {
	o = o.withDefaults()
	if err := CheckNodeCount(o.Nodes); err != nil {
		return nil, &PreflightError{[]string{err.Error()}}
	}
	if _, err := ParseNetwork(string(o.Network)); err != nil {
		return nil, &PreflightError{[]string{err.Error()}}
	}
	if _, err := ParseEngine(string(o.Engine)); err != nil {
		return nil, &PreflightError{[]string{err.Error()}}
	}
	l := layout(o.StateDir)
	lab := &Lab{opts: o, l: l, nodes: Nodes(o.Nodes)}

	// A new state dir is created only once the host passed the checks.
	if _, err := os.Stat(l.dir()); errors.Is(err, os.ErrNotExist) {
		if err := preflight(ctx, l, o); err != nil {
			return nil, err
		}
	}
	unlock, err := lockStateDir(ctx, l.dir())
	if err != nil {
		return nil, err
	}
	defer unlock()

	if len(findProcesses(l)) > 0 {
		running, _ := readTopology(l)
		network, _ := readNetwork(l)
		if err := checkReady(ctx, l, running); err == nil && len(running) == o.Nodes && network == o.Network && readEngine(l) == o.Engine {
			o.step("lab already running at %s (%d nodes)", l.dir(), len(running))
			lab.reused = true
			return lab, nil
		} else if err == nil {
			o.step("replacing the lab at %s: it runs %d nodes on %s with %s, %d on %s with %s asked", l.dir(), len(running), network, readEngine(l), o.Nodes, o.Network, o.Engine)
		} else {
			o.step("removing the remains of a lab that is not healthy at %s", l.dir())
		}
		if err := down(ctx, o, l); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(l.hostMarker()); err == nil {
		o.step("removing the remains of a lab at %s", l.dir())
		if err := down(ctx, o, l); err != nil {
			return nil, err
		}
	}
	if err := preflight(ctx, l, o); err != nil {
		return nil, err
	}
	if err := start(ctx, l, o, lab.nodes); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if derr := down(stopCtx, o, l); derr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up: %w", derr))
		}
		return nil, err
	}
	return lab, nil
}

func start(ctx context.Context, l layout, o Options, nodes []Node) error {
	began := time.Now()
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if err := os.MkdirAll(l.dir(), 0o755); err != nil {
		return err
	}
	o.step("certificates and kubeconfigs in %s", l.dir())
	if err := ensurePKI(l); err != nil {
		return fmt.Errorf("certificates: %w", err)
	}
	if err := writeKubeconfigs(l); err != nil {
		return fmt.Errorf("kubeconfigs: %w", err)
	}
	if err := writeTopology(l, nodes, o.Network); err != nil {
		return err
	}
	if err := writeEngine(l, o.Engine); err != nil {
		return err
	}
	o.step("underlay %s (%s/%d on the host's %s) and %d node namespaces, network %s", UnderlayBridge, ControlPlaneIP, UnderlayPrefixLen, HostInterface, len(nodes), o.Network)
	if err := setupNetwork(l, nodes, o.Network); err != nil {
		return err
	}
	// On the vxlan network each node's conflist is written once its
	// flanneld has its subnet; until then its agent stays NotReady.
	if o.Network != VXLAN {
		for _, n := range nodes {
			if err := writeEngineCNIConfig(l, o.Engine, n, o.Network); err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
	}
	cp := controlPlane(l, o)
	launch := func(cs ...component) error {
		for _, c := range cs {
			if _, err := startDetached(l, c); err != nil {
				return err
			}
		}
		return nil
	}
	perNode := func(name string) []component {
		var out []component
		for _, n := range nodes {
			out = append(out, engineComponents(l, o, o.Engine, n)[name])
		}
		return out
	}
	watch := newWatcher(l)

	if o.Network == WireGuard {
		o.step("starting a userspace WireGuard device (wireguard-go) on every node")
		if err := launch(perNode(wireguardName)...); err != nil {
			return err
		}
		if err := configureWireGuard(ctx, nodes); err != nil {
			return err
		}
	}
	o.step("starting etcd")
	if err := launch(cp[etcdName]); err != nil {
		return err
	}
	if err := watch.until(ctx, "etcd healthy", etcdHealthy); err != nil {
		return err
	}
	o.step("starting kube-apiserver on %s:%d", ControlPlaneIP, APIServerPort)
	if err := launch(cp[apiserverName]); err != nil {
		return err
	}
	if err := watch.until(ctx, "kube-apiserver ready", apiserverReady(l)); err != nil {
		return err
	}
	if err := prepareEngine(ctx, l, o, o.Engine, nodes); err != nil {
		return err
	}
	o.step("starting kube-controller-manager, kube-scheduler and %d node agents", len(nodes))
	if err := launch(append([]component{cp[managerName], cp[schedulerName]}, perNode(agentName)...)...); err != nil {
		return err
	}
	if o.Network == VXLAN {
		if err := startFlannel(ctx, l, o, nodes, launch, perNode); err != nil {
			return err
		}
	}
	// kube-proxy and the engine read their Node at start (kube-router exits
	// when it is missing; cilium-agent waits for its pod CIDR).
	for _, n := range nodes {
		if err := watch.until(ctx, "node "+n.Name+" Ready", nodeReady(l, n.Name)); err != nil {
			return err
		}
	}
	o.step("starting kube-proxy and %s on every node", engineName(o.Engine))
	if err := launch(append(perNode(proxyName), perNode(engineName(o.Engine))...)...); err != nil {
		return err
	}
	if err := watch.until(ctx, "default ServiceAccount", defaultServiceAccount(l)); err != nil {
		return err
	}
	for _, n := range nodes {
		if err := watch.until(ctx, "kube-proxy of "+n.Name+" healthy", kubeProxyHealthy(n)); err != nil {
			return err
		}
		c := engineCheck(l, o.Engine, n)
		if err := watch.until(ctx, engineName(o.Engine)+" of "+n.Name+": "+c.what, c.check); err != nil {
			return err
		}
	}
	if err := publishEngine(ctx, l, o, o.Engine); err != nil {
		return err
	}
	o.step("lab ready: %d nodes on the %s network with %s in %s", len(nodes), o.Network, o.Engine, time.Since(began).Round(100*time.Millisecond))
	return nil
}
