// Package lab runs meshbench's embedded single-node Kubernetes cluster made of
// real parts: etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
// kube-proxy (iptables), kube-router (firewall only, the NetworkPolicy
// engine) and the lab's node agent (package lab/node), which plays kubelet
// and CNI with pods as network namespaces.
//
// Every process runs detached in its own session with its log under the
// state directory, so the lab outlives the command that started it; Stop (and
// `meshbench lab down`) finds the processes again by pid file and by their
// state-directory argument, and removes every host object the lab made.
package lab

import "os"

// The node and its networks. The node agent (lab/node) uses the same values:
// the Node's InternalIP, its podCIDR and the kubelet port the apiserver calls
// for logs.
const (
	// NodeName names the lab's single Node.
	NodeName = "meshbench-lab"
	// NodeInterface is the interface the lab creates to hold NodeIP, so the
	// Node's InternalIP exists on this host without touching the host's own
	// interfaces. It is one end of a veth pair whose other end,
	// NodeInterfacePeer, carries nothing; deleting either removes both.
	NodeInterface     = "mblab0"
	NodeInterfacePeer = "mblab0-peer"
	// NodeIP is the Node's InternalIP (a /32 on NodeInterface).
	NodeIP = "10.250.0.1"
	// PodCIDR is the Node's spec.podCIDR; each pod gets a /32 from it.
	PodCIDR = "10.244.0.0/24"
	// ServiceCIDR is kube-apiserver's --service-cluster-ip-range.
	ServiceCIDR = "10.96.0.0/16"
	// KubeletPort is where the node agent serves the kubelet API over HTTPS
	// on NodeIP; kube-apiserver calls it for pod logs without verifying its
	// serving certificate.
	KubeletPort = 10250

	// NetnsPrefix starts every pod network namespace name; VethPrefix every
	// host-side veth. `down` removes what carries them (lab/node names them).
	NetnsPrefix = "mblab-"
	VethPrefix  = "mbv"
)

// Loopback ports of the control plane, away from the usual defaults so the lab
// never collides with a system etcd or Kubernetes.
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
