// Package node is the lab's node agent: it plays kubelet and CNI for the
// single node of the embedded lab. It registers the Node, keeps its Lease and
// Ready condition fresh, gives every Pod bound to the node a network namespace
// routed through the host (Calico style: a /32 on eth0, the host answering
// for 169.254.1.1 by proxy ARP), runs the pod's containers as the local
// meshbench binary inside that namespace, reports the pod's status, and
// serves the kubelet API the apiserver calls for container logs.
package node

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Names of what the agent creates on the host. Everything carries one of
// these prefixes, and the agent never touches a netns or link without it, so
// `lab down` can remove whatever is left by prefix.
const (
	// NetnsPrefix starts the name of every pod network namespace.
	NetnsPrefix = "mblab-"
	// VethPrefix starts the name of every host-side veth; its peer is eth0
	// inside the pod's namespace.
	VethPrefix = "mbv"
	// GatewayIP is the link-local next hop every pod routes through; the
	// host-side veth answers ARP for it (proxy_arp), as in Calico.
	GatewayIP = "169.254.1.1"
	// PodInterface is the pod's interface name inside its namespace.
	PodInterface = "eth0"
)

// idLen is how many hex characters of the pod UID's hash name its netns and
// veth: VethPrefix (3) + 12 = 15, the kernel's limit for a link name.
const idLen = 12

// podID is a short stable identifier derived from a pod UID.
func podID(uid string) string {
	sum := sha256.Sum256([]byte(uid))
	return hex.EncodeToString(sum[:])[:idLen]
}

// NetnsName is the network namespace of the pod with this UID.
func NetnsName(uid string) string { return NetnsPrefix + podID(uid) }

// VethName is the host-side veth of the pod with this UID.
func VethName(uid string) string { return VethPrefix + podID(uid) }

// IsLabNetns reports whether a netns name is one the agent creates.
func IsLabNetns(name string) bool {
	return strings.HasPrefix(name, NetnsPrefix) && len(name) == len(NetnsPrefix)+idLen && isHex(name[len(NetnsPrefix):])
}

// IsLabVeth reports whether a link name is a host-side veth the agent creates.
func IsLabVeth(name string) bool {
	return strings.HasPrefix(name, VethPrefix) && len(name) == len(VethPrefix)+idLen && isHex(name[len(VethPrefix):])
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
