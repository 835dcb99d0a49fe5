// Package lab runs meshbench's embedded Kubernetes cluster made of real parts:
// etcd, kube-apiserver, kube-controller-manager and kube-scheduler in the
// host's network namespace, and 1–5 nodes, each a network namespace of its
// own joined to the lab's underlay bridge, running what a real node runs: the
// lab's node agent (package lab/node: the kubelet's role, pods wired by the
// CNI plugins through libcni), kube-proxy (iptables) and kube-router
// (firewall only, the NetworkPolicy engine). Each node has its own netfilter
// tables, conntrack and routes, so a cross-node connection leaves one node's
// netfilter and enters another's.
//
// Every process runs detached in its own session with its log under the
// state directory, so the lab outlives the command that started it; Stop (and
// `meshbench lab down`) finds the processes again by pid file and by their
// state-directory argument, and removes every namespace and link the lab
// made.
package lab

import "os"

// The lab's networks. The control plane listens on ControlPlaneIP, the host's
// end of the underlay; node i (1-based) is the network namespace
// mblab-node-<i> holding 10.250.0.<10+i> on its eth0, with the pod CIDR
// 10.244.<i-1>.0/24.
const (
	// UnderlayNetns holds the underlay bridge. The bridge lives in a
	// namespace of its own rather than the host's so that frames between
	// nodes never pass the host's own br_netfilter hooks (iptables FORWARD
	// and conntrack, on by default where Docker ran), which would add the
	// host's rules to every cross-node connection, or drop it.
	UnderlayNetns = "mblab-underlay"
	// UnderlayBridge is the bridge in UnderlayNetns every node and the host
	// attach to, as kind's nodes share a Docker network.
	UnderlayBridge = "mblab-br"
	// HostInterface is the host's end of the underlay: a veth in the host
	// namespace holding ControlPlaneIP, whose peer is a port of the bridge.
	HostInterface = "mblab0"
	// ControlPlaneIP is where kube-apiserver listens, reachable from every
	// node; the kubernetes Service's endpoint.
	ControlPlaneIP = "10.250.0.1"
	// UnderlayPrefixLen is the underlay subnet's prefix length (10.250.0.0/24).
	UnderlayPrefixLen = 24
	// ClusterCIDR holds every node's pod CIDR.
	ClusterCIDR = "10.244.0.0/16"
	// ServiceCIDR is kube-apiserver's --service-cluster-ip-range.
	ServiceCIDR = "10.96.0.0/16"
	// KubeletPort is where each node agent serves the kubelet API over HTTPS
	// on its node IP; kube-apiserver calls it for pod logs without verifying
	// its serving certificate.
	KubeletPort = 10250
	// MTU of the underlay and of the pods' links.
	MTU = 1500

	// NetnsPrefix starts every pod network namespace name (followed by 12
	// hex characters); `down` removes what carries them (lab/node names
	// them). VethPrefix starts the names of the host veths of labs before
	// nodes were namespaces; down still removes them.
	NetnsPrefix = "mblab-"
	VethPrefix  = "mbv"
)

// Node counts `lab up --nodes` accepts.
const (
	MinNodes     = 1
	MaxNodes     = 5
	DefaultNodes = 2
)

// Loopback ports of the control plane, away from the usual defaults so the lab
// never collides with a system etcd or Kubernetes. kube-apiserver listens on
// ControlPlaneIP; kube-proxy's ports are inside each node's namespace.
const (
	EtcdClientPort     = 12379
	EtcdPeerPort       = 12380
	APIServerPort      = 16443
	KubeProxyHealthz   = 16256
	KubeProxyMetrics   = 16249
	defaultStateDirEnv = "MESHBENCH_LAB_DIR"
)

// DefaultStateDir is where the lab keeps certificates, kubeconfigs, etcd's
// data, logs and pid files unless told otherwise.
const DefaultStateDir = "/var/lib/meshbench/lab"

// StateDirFromEnv is MESHBENCH_LAB_DIR if set, else DefaultStateDir.
func StateDirFromEnv() string {
	if d := os.Getenv(defaultStateDirEnv); d != "" {
		return d
	}
	return DefaultStateDir
}
