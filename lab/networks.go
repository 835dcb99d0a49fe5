package lab

import (
	"fmt"
	"strings"
)

// Network is how pod traffic crosses between the lab's nodes.
type Network string

const (
	// Routed: each node routes the other nodes' pod CIDRs via their node
	// IPs on the underlay (kube-router's and Calico's direct routes).
	Routed Network = "routed"
	// VXLAN: flanneld on every node (Kubernetes subnet manager, vxlan
	// backend) encapsulates pod traffic in UDP between node IPs; pods hang
	// off a bridge, as flannel's CNI plugin wires them.
	VXLAN Network = "vxlan"
	// WireGuard: a userspace WireGuard device (wireguard-go on a TUN) on
	// every node, a peer per other node, every pod CIDR routed through it.
	WireGuard Network = "wireguard"
	// IPsec is named so it can be refused with the kernel's reason.
	IPsec Network = "ipsec"
)

// DefaultNetwork is the network `lab up` builds unless told otherwise.
const DefaultNetwork = Routed

// Networks are the networks `lab up --network` accepts.
var Networks = []Network{Routed, VXLAN, WireGuard}

// The MTU pods get on each network: the underlay's, less what the
// encapsulation adds (VXLAN: 50 bytes of outer IPv4, UDP, VXLAN and Ethernet
// headers, as flannel computes; WireGuard: 80, wg-quick's default for both
// address families).
const (
	vxlanOverhead     = 50
	wireguardOverhead = 80
)

// MTU is the MTU of the pods' links on network n.
func (n Network) MTU() int {
	switch n {
	case VXLAN:
		return MTU - vxlanOverhead
	case WireGuard:
		return MTU - wireguardOverhead
	}
	return MTU
}

// Cipher is the network's encryption between nodes; empty when it has none.
// WireGuard has exactly one: ChaCha20-Poly1305 (AEAD) over Curve25519 keys.
func (n Network) Cipher() string {
	if n == WireGuard {
		return "ChaCha20-Poly1305"
	}
	return ""
}

// Encapsulation names how the network carries pod packets on the underlay.
func (n Network) Encapsulation() string {
	switch n {
	case VXLAN:
		return fmt.Sprintf("VXLAN over UDP port %d", VXLANPort)
	case WireGuard:
		return fmt.Sprintf("WireGuard over UDP port %d", WireGuardPort)
	}
	return "none (routed)"
}

// ParseNetwork is the rule of `lab up --network`. IPsec is refused with the
// running kernel's reason (see checkIPsec).
func ParseNetwork(s string) (Network, error) {
	if s == "" {
		return DefaultNetwork, nil
	}
	for _, n := range Networks {
		if string(n) == s {
			return n, nil
		}
	}
	if Network(s) == IPsec {
		return "", checkIPsec()
	}
	names := make([]string, len(Networks))
	for i, n := range Networks {
		names[i] = string(n)
	}
	return "", fmt.Errorf("--network %q: want one of %s", s, strings.Join(names, ", "))
}

// The Node annotations announcing the lab's network (package meshes reads
// the same keys; a test holds them equal).
const (
	NetworkAnnotation       = "meshbench.io/network"
	NetworkMTUAnnotation    = "meshbench.io/network-mtu"
	NetworkCipherAnnotation = "meshbench.io/network-cipher"
)

// networkAnnotations are the node agent's --node-annotation value: the
// network, its MTU and its cipher, which `meshbench detect` and the results
// document read from the Nodes.
func networkAnnotations(n Network) string {
	if n == "" {
		n = DefaultNetwork
	}
	s := fmt.Sprintf("%s=%s,%s=%d", NetworkAnnotation, n, NetworkMTUAnnotation, n.MTU())
	if c := n.Cipher(); c != "" {
		s += fmt.Sprintf(",%s=%s", NetworkCipherAnnotation, c)
	}
	return s
}
