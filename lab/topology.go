package lab

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Node is one node of the lab: a network namespace named like the Node it
// registers, with its address on the underlay and its pod CIDR.
type Node struct {
	Index   int    // 1-based
	Name    string // the Node's name and its network namespace's
	IP      netip.Addr
	PodCIDR netip.Prefix
}

// NodeNetnsPrefix starts every node namespace's name.
const NodeNetnsPrefix = "mblab-node-"

// NodeAt is node i (1-based) of a lab.
func NodeAt(i int) Node {
	return Node{
		Index:   i,
		Name:    NodeNetnsPrefix + strconv.Itoa(i),
		IP:      netip.AddrFrom4([4]byte{10, 250, 0, byte(10 + i)}),
		PodCIDR: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 244, byte(i - 1), 0}), 24),
	}
}

// Nodes are the first n nodes.
func Nodes(n int) []Node {
	out := make([]Node, n)
	for i := range out {
		out[i] = NodeAt(i + 1)
	}
	return out
}

// Netns is the node's network namespace (named like the node).
func (n Node) Netns() string { return n.Name }

// underlayPort is the node's port on the underlay bridge (in UnderlayNetns);
// its peer is the node's eth0.
func (n Node) underlayPort() string { return "node-" + strconv.Itoa(n.Index) }

// NodeInterface is the node's interface on the underlay, inside its namespace.
const NodeInterface = "eth0"

// hostPort is the bridge port whose peer is HostInterface.
const hostPort = "host"

// IsNodeNetns reports whether a network namespace name is one of a lab node's.
func IsNodeNetns(name string) bool {
	i, ok := strings.CutPrefix(name, NodeNetnsPrefix)
	if !ok {
		return false
	}
	n, err := strconv.Atoi(i)
	return err == nil && n >= 1 && n <= 99 && strconv.Itoa(n) == i
}

// CheckNodeCount is the rule of `lab up --nodes`.
func CheckNodeCount(n int) error {
	if n < MinNodes || n > MaxNodes {
		return fmt.Errorf("--nodes %d: want %d to %d (each node runs an agent, kube-proxy and kube-router)", n, MinNodes, MaxNodes)
	}
	return nil
}

func controlPlaneAddr() netip.Addr { return netip.MustParseAddr(ControlPlaneIP) }
