package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// PodNetwork is one pod's network: its namespace and what the CNI plugins
// made of it (its address, the node-side end of its interface).
type PodNetwork struct {
	Netns    string
	IP       netip.Addr
	HostVeth string
	// Host is a hostNetwork pod's: the node's own namespace (Netns empty)
	// and address, which the CNI plugins do not wire.
	Host bool
}

// attachment is how the agent names a pod (key namespace/name) to the CNI
// plugins: the pod's netns name is its sandbox id, stable across agent
// restarts.
func attachment(key, uid, netns string) PodAttachment {
	ns, name := splitKey(key)
	return PodAttachment{ContainerID: netns, NetnsPath: nsnet.Path(netns), Namespace: ns, Name: name, UID: uid}
}

// setupNetwork creates the pod's namespace and has the CNI plugins wire it
// (CNI ADD), as a runtime creates a sandbox.
func (a *Agent) setupNetwork(ctx context.Context, at PodAttachment) (PodNetwork, error) {
	netns := at.ContainerID
	if !isNodeNetns(a.cfg.NodeName, netns) {
		return PodNetwork{}, fmt.Errorf("refusing netns %q: not named by this node's agent", netns)
	}
	if err := nsnet.Create(netns); err != nil {
		return PodNetwork{}, err
	}
	w, err := a.cni.Add(ctx, at)
	if err != nil {
		// Undo what ADD may have done (an address held, a half-made veth).
		_ = a.cni.Del(ctx, at)
		return PodNetwork{}, err
	}
	return PodNetwork{Netns: netns, IP: w.IP, HostVeth: w.HostVeth}, nil
}

// teardownNetwork kills what still runs in the pod's namespace (a live
// process keeps it alive), has the CNI plugins unwire it (CNI DEL: the
// address goes back to IPAM, the veth and route go), and removes the
// namespace. What is already gone is skipped.
func (a *Agent) teardownNetwork(ctx context.Context, at PodAttachment) error {
	netns := at.ContainerID
	if !isNodeNetns(a.cfg.NodeName, netns) {
		return fmt.Errorf("refusing netns %q: not named by this node's agent", netns)
	}
	KillNetnsProcesses(netns)
	var errs []error
	if err := a.cni.Del(ctx, at); err != nil {
		errs = append(errs, err)
	}
	if err := nsnet.Delete(netns); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// NetnsExists reports whether a named network namespace exists.
func NetnsExists(name string) bool { return nsnet.Exists(name) }

// KillNetnsProcesses SIGKILLs every process whose network namespace is the
// named pod netns, whoever started it (a process left by an agent that
// crashed included), and waits up to 5 s for them to go. It returns how many
// it signalled.
func KillNetnsProcesses(netns string) int {
	if !IsLabNetns(netns) {
		return 0
	}
	return nsnet.KillProcesses(netns)
}
