package lab

import (
	"strings"

	"github.com/meshbench/meshbench/lab/podnetns"
)

// IsLabNetns reports whether a network namespace name is one a node agent
// of the lab creates for a pod, or one of a lab before nodes were
// namespaces.
func IsLabNetns(name string) bool {
	return podnetns.IsPod(name) || hasLabID(name, NetnsPrefix)
}

// IsLabVeth reports whether a link name is a host-side veth of a lab before
// nodes were namespaces (today's pods' veths live in their node's
// namespace and go with it).
func IsLabVeth(name string) bool { return hasLabID(name, VethPrefix) }

// legacyIDLen is how many hex characters followed NetnsPrefix or VethPrefix
// in the names of labs before nodes were namespaces.
const legacyIDLen = 12

func hasLabID(name, prefix string) bool {
	id, ok := strings.CutPrefix(name, prefix)
	if !ok || len(id) != legacyIDLen {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
