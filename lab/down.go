package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// How long each component gets to exit after SIGTERM before SIGKILL. The
// node agent gets longest: it stops its pods on the way out.
var stopGrace = map[string]time.Duration{
	agentName:     10 * time.Second,
	apiserverName: 3 * time.Second, // ignores SIGTERM for a long while
}

const defaultStopGrace = 5 * time.Second

// Down stops the lab at o.StateDir and removes everything it made on the
// host: processes, pod network namespaces (and the processes in them), the
// node namespaces (and with them each node's links — flannel's VXLAN device
// and cni0 bridge, the WireGuard TUN devices — routes, iptables chains,
// ipsets and conntrack), the underlay namespace and its bridge, the host's
// veth onto it with its routes, the WireGuard devices' UAPI sockets and
// flannel's state under the state directory. It finds processes by their
// state-directory argument and namespaces and links by the lab's names, so it
// also cleans after a crash or a SIGKILL of everything, and running it twice
// is harmless. It touches nothing the lab did not make.
func Down(ctx context.Context, o Options) error {
	o = o.withDefaults()
	l := layout(o.StateDir)
	if _, err := os.Stat(l.dir()); err == nil {
		unlock, err := lockStateDir(ctx, l.dir())
		if err != nil {
			return err
		}
		defer unlock()
	}
	return down(ctx, o, l)
}

// down is Down with the state dir locked by the caller.
func down(ctx context.Context, o Options, l layout) error {
	var errs []error

	if err := stopProcesses(ctx, l, o); err != nil {
		errs = append(errs, err)
	}
	if err := removeNetworks(o); err != nil {
		errs = append(errs, err)
	}
	if err := removeWireGuardSockets(); err != nil {
		errs = append(errs, err)
	}
	if err := removeCiliumObjects(o, l); err != nil {
		errs = append(errs, err)
	}
	if err := restoreIPForward(l); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Only a clean host drops the marker, so a failed down can be retried.
	// etcd's data and the nodes' pod records go too: the next up starts an
	// empty cluster.
	for _, p := range []string{l.hostMarker(), l.pidDir(), l.etcdData(), l.podRecords(), l.nodesDir(), l.topology(), filepath.Dir(l.flannelNetConf()), l.engineRecord()} {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopRanks are stopped one after another, each rank's processes at once:
// the node agents first (they remove their pods through CNI DEL on the way
// out, while kube-router and kube-proxy still run), then the rest of the
// nodes and the controllers, then the apiserver, then etcd.
var stopRanks = [][]string{
	{agentName},
	{proxyName, routerName, flanneldName, wireguardName, ciliumName, schedulerName, managerName},
	{apiserverName},
	{etcdName},
}

// stopProcesses stops the lab's processes rank by rank, each with its grace
// period before SIGKILL.
func stopProcesses(ctx context.Context, l layout, o Options) error {
	byName := map[string][]labProcess{}
	for _, p := range findProcesses(l) {
		byName[p.name] = append(byName[p.name], p)
	}
	var errs []error
	for _, rank := range stopRanks {
		done := make(chan error, 32)
		n := 0
		for _, name := range rank {
			grace, ok := stopGrace[name]
			if !ok {
				grace = defaultStopGrace
			}
			for _, p := range byName[name] {
				o.step("stopping %s (pid %d)", component{name: p.name, node: p.node}.id(), p.pid)
				n++
				go func() { done <- stopProcess(ctx, p.pid, grace) }()
			}
		}
		for ; n > 0; n-- {
			if err := <-done; err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// removeNetworks deletes the lab's namespaces — pods' first, then nodes',
// then the underlay — each after killing what still runs in it, then the
// host's links of the lab (the host veth; host veths and the node interface
// of labs before nodes were namespaces). Routes go with their links.
func removeNetworks(o Options) error {
	var errs []error
	for _, keep := range []func(string) bool{IsLabNetns, IsNodeNetns, func(n string) bool { return n == UnderlayNetns }} {
		names, err := nsnet.List(keep)
		if err != nil {
			errs = append(errs, err)
		}
		for _, ns := range names {
			o.step("removing netns %s", ns)
			if err := nsnet.Delete(ns); err != nil {
				errs = append(errs, err)
			}
		}
	}
	links, err := nsnet.Links("")
	if err != nil {
		errs = append(errs, err)
	}
	for _, link := range links {
		if link != HostInterface && link != legacyNodeInterfacePeer && !IsLabVeth(link) {
			continue
		}
		o.step("removing link %s", link)
		if err := nsnet.DeleteLink("", link); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("lab networks: %w", errors.Join(errs...))
	}
	return nil
}

// legacyNodeInterfacePeer is the peer of the host's node interface in labs
// before nodes were namespaces (that interface was named HostInterface too).
const legacyNodeInterfacePeer = "mblab0-peer"
