package lab

import (
	"context"
	"fmt"
	"net"
	"slices"

	"github.com/vishvananda/netlink"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab/nsnet"
	"github.com/meshbench/meshbench/lab/podnetns"
)

// nodeNetns reads a lab node's datapath by entering its network namespace.
type nodeNetns struct{ node Node }

func (n nodeNetns) Name() string { return n.node.Name }

func (n nodeNetns) Run(ctx context.Context, argv ...string) ([]byte, error) {
	return nsnet.Output(ctx, n.node.Netns(), argv...)
}

// DatapathNode is the running lab's node of that Kubernetes node name, read
// from inside its network namespace; an error when the lab at stateDir has
// no such node (the cluster is not the lab).
func DatapathNode(stateDir, name string) (datapath.Node, error) {
	nodes := RunningNodes(stateDir)
	i := slices.IndexFunc(nodes, func(n Node) bool { return n.Name == name })
	if i < 0 || !nsnet.Exists(nodes[i].Netns()) {
		return nil, fmt.Errorf("node %s is not a node of the lab at %s", name, stateDir)
	}
	return nodeNetns{nodes[i]}, nil
}

// Do runs fn inside the node's network namespace (datapath.InNetns).
func (n nodeNetns) Do(fn func() error) error { return nsnet.Do(n.node.Netns(), fn) }

// PodInterface is the node-side end of the veth of the pod with address
// ip (datapath.PodLinks): the link eth0 of one of the node's pod namespaces
// names its peer's index.
func (n nodeNetns) PodInterface(ip net.IP) (int, error) {
	names, err := nsnet.List(func(s string) bool { return podnetns.IsNodePod(n.node.Name, s) })
	if err != nil {
		return 0, err
	}
	for _, ns := range names {
		h, err := nsnet.Handle(ns)
		if err != nil {
			continue
		}
		eth, err := h.LinkByName("eth0")
		if err == nil {
			addrs, _ := h.AddrList(eth, netlink.FAMILY_V4)
			for _, a := range addrs {
				if a.IP.Equal(ip) && eth.Attrs().ParentIndex > 0 {
					h.Close()
					return eth.Attrs().ParentIndex, nil
				}
			}
		}
		h.Close()
	}
	return 0, fmt.Errorf("no pod namespace of node %s has %s", n.node.Name, ip)
}
