package lab

import (
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// setupNetwork builds the lab's networks: the underlay bridge in its own
// namespace, the host's veth onto it holding ControlPlaneIP, and every node
// as a namespace with its eth0 on the bridge, forwarding on, and a route to
// every other node's pod CIDR via that node's IP (the direct-routes model of
// kube-router and Calico). The host routes each pod CIDR via its node and
// the Service CIDR via the first node, whose kube-proxy translates it. Each
// step keeps what exists, so a second run converges. The marker is written
// first, so a crash in between still lets down clean.
func setupNetwork(l layout, nodes []Node, network Network) error {
	if err := os.WriteFile(l.hostMarker(), []byte("the lab may have objects on this host; `meshbench lab down` removes them\n"), 0o644); err != nil {
		return err
	}
	if err := nsnet.Create(UnderlayNetns); err != nil {
		return err
	}
	// Where br_netfilter is loaded its hooks are per namespace: off in the
	// underlay's, so bridged frames between nodes pass no netfilter of the
	// bridge's own (each node's netfilter sees them, as on a real network).
	for _, key := range []string{"net/bridge/bridge-nf-call-iptables", "net/bridge/bridge-nf-call-ip6tables", "net/bridge/bridge-nf-call-arptables"} {
		if err := nsnet.Sysctl(UnderlayNetns, key, "0"); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("underlay: %s: %w", key, err)
		}
	}
	if err := nsnet.Bridge(UnderlayNetns, UnderlayBridge, MTU); err != nil {
		return err
	}
	cp := controlPlaneAddr()
	if err := nsnet.Veth("", HostInterface, UnderlayNetns, hostPort, MTU); err != nil {
		return err
	}
	if err := nsnet.Enslave(UnderlayNetns, hostPort, UnderlayBridge); err != nil {
		return err
	}
	if err := nsnet.Address("", HostInterface, netip.PrefixFrom(cp, UnderlayPrefixLen)); err != nil {
		return err
	}
	for _, n := range nodes {
		if err := setupNode(n, nodes, network); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	for _, n := range nodes {
		if err := nsnet.Route("", HostInterface, n.PodCIDR, n.IP, cp); err != nil {
			return err
		}
	}
	return nsnet.Route("", HostInterface, netip.MustParsePrefix(ServiceCIDR), nodes[0].IP, cp)
}

// setupNode makes node n's namespace, wires its eth0 to the underlay, turns
// on forwarding and, on the routed network, routes the other nodes' pod
// CIDRs via their node IPs (on the others, flanneld or the WireGuard setup
// routes them through the overlay: no route may bypass it).
func setupNode(n Node, all []Node, network Network) error {
	ns := n.Netns()
	if err := nsnet.Create(ns); err != nil {
		return err
	}
	if err := nsnet.Veth(UnderlayNetns, n.underlayPort(), ns, NodeInterface, MTU); err != nil {
		return err
	}
	if err := nsnet.Enslave(UnderlayNetns, n.underlayPort(), UnderlayBridge); err != nil {
		return err
	}
	if err := nsnet.Address(ns, NodeInterface, netip.PrefixFrom(n.IP, UnderlayPrefixLen)); err != nil {
		return err
	}
	// The node routes its pods' traffic, as every Kubernetes node does.
	if err := nsnet.Sysctl(ns, "net/ipv4/ip_forward", "1"); err != nil {
		return fmt.Errorf("net.ipv4.ip_forward: %w", err)
	}
	if network != Routed {
		return nil
	}
	for _, m := range all {
		if m.Index == n.Index {
			continue
		}
		if err := nsnet.Route(ns, NodeInterface, m.PodCIDR, m.IP, netip.Addr{}); err != nil {
			return err
		}
	}
	return nil
}

const ipForwardSysctl = "/proc/sys/net/ipv4/ip_forward"

// restoreIPForward puts the host's net.ipv4.ip_forward back to what it was
// before a lab of an earlier version (which routed pods through the host)
// set it; today's lab leaves the host's sysctls alone.
func restoreIPForward(l layout) error {
	old, err := os.ReadFile(l.savedIPForward())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(ipForwardSysctl, old, 0o644); err != nil {
		return fmt.Errorf("restore net.ipv4.ip_forward: %w", err)
	}
	return os.Remove(l.savedIPForward())
}
