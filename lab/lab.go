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
	reused bool
}

// Kubeconfig is the path of the lab's admin kubeconfig.
func (lab *Lab) Kubeconfig() string { return lab.l.kubeconfig() }

// StateDir is the lab's state directory.
func (lab *Lab) StateDir() string { return lab.l.dir() }

// Reused reports whether Start found this lab already running rather than
// starting it.
func (lab *Lab) Reused() bool { return lab.reused }

// Stop stops the lab and removes everything it made on the host (see Down).
func (lab *Lab) Stop(ctx context.Context) error { return Down(ctx, lab.opts) }

// Start brings a lab up at o.StateDir and waits until it is ready: the
// apiserver healthy, the node Ready, the default ServiceAccount present,
// kube-proxy healthy and kube-router's chains in place. A healthy lab already
// running there is reused; leftovers of a crashed one are removed first. A
// *PreflightError means the host cannot run the lab as it is; then nothing
// was created. On any other failure everything started is removed again.
func Start(ctx context.Context, o Options) (*Lab, error) {
	o = o.withDefaults()
	l := layout(o.StateDir)
	lab := &Lab{opts: o, l: l}

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
		if err := checkReady(ctx, l); err == nil {
			o.step("lab already running at %s", l.dir())
			lab.reused = true
			return lab, nil
		}
		o.step("removing the remains of a lab that is not healthy at %s", l.dir())
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
	if err := start(ctx, l, o); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
		defer cancel()
		if derr := down(stopCtx, o, l); derr != nil {
			err = errors.Join(err, fmt.Errorf("cleaning up: %w", derr))
		}
		return nil, err
	}
	return lab, nil
}

func start(ctx context.Context, l layout, o Options) error {
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
	o.step("node interface %s (%s), net.ipv4.ip_forward=1", NodeInterface, NodeIP)
	if err := setupHost(ctx, l); err != nil {
		return err
	}
	cmds := commands(l, o)
	launch := func(names ...string) error {
		for _, n := range names {
			if _, err := startDetached(l, cmds[n]); err != nil {
				return err
			}
		}
		return nil
	}
	watch := newWatcher(l)

	o.step("starting etcd")
	if err := launch(etcdName); err != nil {
		return err
	}
	if err := watch.until(ctx, "etcd healthy", etcdHealthy); err != nil {
		return err
	}
	o.step("starting kube-apiserver")
	if err := launch(apiserverName); err != nil {
		return err
	}
	if err := watch.until(ctx, "kube-apiserver ready", apiserverReady(l)); err != nil {
		return err
	}
	o.step("starting kube-controller-manager, kube-scheduler, the node agent")
	if err := launch(managerName, schedulerName, agentName); err != nil {
		return err
	}
	// kube-proxy and kube-router read the Node at start (kube-router exits
	// when it is missing).
	if err := watch.until(ctx, "node "+NodeName+" Ready", nodeReady(l)); err != nil {
		return err
	}
	o.step("starting kube-proxy, kube-router")
	if err := launch(proxyName, routerName); err != nil {
		return err
	}
	for _, w := range []struct {
		what  string
		check func(context.Context) error
	}{
		{"default ServiceAccount", defaultServiceAccount(l)},
		{"kube-proxy healthy", kubeProxyHealthy},
		{"kube-router's firewall chains", kubeRouterChains},
	} {
		if err := watch.until(ctx, w.what, w.check); err != nil {
			return err
		}
	}
	o.step("lab ready")
	return nil
}
