// Package node is the lab's node agent: it plays the kubelet and its
// container runtime for one node of the embedded lab, running inside that
// node's network namespace. It registers the Node, keeps its Lease and Ready
// condition fresh, gives every Pod bound to the node a network namespace
// wired by the node's CNI plugins (through libcni: ADD, CHECK, DEL), runs the
// pod's containers as the local meshbench binary inside that namespace,
// reports the pod's status, and serves the kubelet API the apiserver calls
// for container logs.
package node

import "github.com/meshbench/meshbench/lab/podnetns"

// PodInterface is the pod's interface name inside its namespace.
const PodInterface = "eth0"

// NetnsName is the network namespace of the pod with this UID on this node.
func NetnsName(node, uid string) string { return podnetns.Name(node, uid) }

// IsLabNetns reports whether a netns name is one an agent creates for a pod
// (of any node); the agent never touches another.
func IsLabNetns(name string) bool { return podnetns.IsPod(name) }

func isNodeNetns(node, name string) bool { return podnetns.IsNodePod(node, name) }
