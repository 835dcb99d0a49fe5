package lab

import "strings"

// hostObjectIDLen is how many hex characters follow NetnsPrefix or VethPrefix
// in the names the node agent gives a pod's netns and host veth (3 + 12 = 15,
// the kernel's limit for a link name).
const hostObjectIDLen = 12

// IsLabNetns reports whether a network namespace name is one the lab's node
// agent creates.
func IsLabNetns(name string) bool { return hasLabID(name, NetnsPrefix) }

// IsLabVeth reports whether a link name is a host-side veth the lab's node
// agent creates.
func IsLabVeth(name string) bool { return hasLabID(name, VethPrefix) }

func hasLabID(name, prefix string) bool {
	id, ok := strings.CutPrefix(name, prefix)
	if !ok || len(id) != hostObjectIDLen {
		return false
	}
	for _, c := range id {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
