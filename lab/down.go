package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// How long each component gets to exit after SIGTERM before SIGKILL. The
// node agent gets longest: it stops its pods on the way out.
var stopGrace = map[string]time.Duration{
	agentName:     10 * time.Second,
	apiserverName: 3 * time.Second, // ignores SIGTERM for a long while
}

const defaultStopGrace = 5 * time.Second

// Down stops the lab at o.StateDir and removes everything it made on the
// host: processes, pod network namespaces (and the processes in them), host
// veths and their routes, the node interface, kube-proxy's and kube-router's
// iptables chains and ipsets, and it restores net.ipv4.ip_forward. It finds
// processes by pid file and by their state-directory argument, so it also
// cleans after a crash or a SIGKILL of everything, and running it twice is
// harmless. It touches nothing the lab did not make.
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
	if err := removePodNetworks(ctx, o); err != nil {
		errs = append(errs, err)
	}
	for _, link := range []string{NodeInterface, NodeInterfacePeer} {
		if linkExists(link) {
			o.step("removing %s", link)
			if _, err := run(ctx, "ip", "link", "del", link); err != nil && linkExists(link) {
				errs = append(errs, err)
			}
		}
	}
	if _, err := os.Stat(l.hostMarker()); err == nil {
		o.step("removing kube-proxy's and kube-router's iptables chains and ipsets")
		if err := removeLabChains(ctx); err != nil {
			errs = append(errs, err)
		}
		if err := removeLabIPSets(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := restoreIPForward(l); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	// Only a clean host drops the marker, so a failed down can be retried.
	// etcd's data and the node agent's pod records go too: the next up
	// starts an empty cluster.
	for _, p := range []string{l.hostMarker(), l.pidDir(), l.etcdData(), l.podRecords()} {
		if err := os.RemoveAll(p); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// stopRanks are stopped one after another, each rank's processes at once:
// the workers (the node agent first among them, it stops its pods on the way
// out), then the apiserver, then etcd.
var stopRanks = [][]string{
	{agentName, proxyName, routerName, schedulerName, managerName},
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
		done := make(chan error, 8)
		n := 0
		for _, name := range rank {
			grace, ok := stopGrace[name]
			if !ok {
				grace = defaultStopGrace
			}
			for _, p := range byName[name] {
				o.step("stopping %s (pid %d)", p.name, p.pid)
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

// removePodNetworks kills the processes left in the lab's pod network
// namespaces (a live process keeps a netns and its veth alive), deletes the
// namespaces, then any host-side veth still there (its routes go with it).
func removePodNetworks(ctx context.Context, o Options) error {
	var errs []error
	names, err := netnsList(ctx)
	if err != nil {
		errs = append(errs, err)
	}
	for _, ns := range names {
		if !IsLabNetns(ns) {
			continue
		}
		o.step("removing netns %s", ns)
		if out, err := run(ctx, "ip", "netns", "pids", ns); err == nil {
			for _, f := range strings.Fields(out) {
				if pid, err := strconv.Atoi(f); err == nil {
					_ = syscall.Kill(pid, syscall.SIGKILL)
					waitGone(ctx, pid, 5*time.Second)
				}
			}
		}
		if _, err := run(ctx, "ip", "netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	for _, link := range links() {
		if !IsLabVeth(link) {
			continue
		}
		o.step("removing veth %s", link)
		if _, err := run(ctx, "ip", "link", "del", link); err != nil && linkExists(link) {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("pod networks: %w", errors.Join(errs...))
	}
	return nil
}
