// Package podnetns names the network namespaces of the lab's pods. A name is
// "mblab-", a tag of the pod's node and an id of the pod
// ("mblab-3f9a1c-0123456789ab"): agents of several nodes share /run/netns,
// each touches only names with its own node's tag, and `lab down` removes
// every name of this shape. Both the node agent and the lab use it.
package podnetns

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Prefix starts the name of every pod network namespace.
const Prefix = "mblab-"

// tagLen and idLen are how many hex characters of the hashes of the node
// name and of the pod UID a name holds.
const (
	tagLen = 6
	idLen  = 12
)

func shortHash(s string, n int) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:n]
}

// nodePrefix starts the names of the pod namespaces of this node.
func nodePrefix(node string) string { return Prefix + shortHash(node, tagLen) + "-" }

// Name is the network namespace of the pod with this UID on this node.
func Name(node, uid string) string { return nodePrefix(node) + shortHash(uid, idLen) }

// IsPod reports whether a netns name is a pod's (of any node).
func IsPod(name string) bool {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok || len(rest) != tagLen+1+idLen || rest[tagLen] != '-' {
		return false
	}
	return isHex(rest[:tagLen]) && isHex(rest[tagLen+1:])
}

// IsNodePod reports whether a netns name is a pod's of this node.
func IsNodePod(node, name string) bool {
	return IsPod(name) && strings.HasPrefix(name, nodePrefix(node))
}

func isHex(s string) bool {
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
