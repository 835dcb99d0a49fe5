package lab

import (
	"os"
	"path/filepath"
)

// ciliumAgent is node n's cilium-agent, to run inside the node's network
// namespace (where it makes cilium_host/cilium_net, its CILIUM_* chains,
// routes and per-namespace sysctls, all of which go with the namespace) and
// in a mount namespace of its own: unshare gives it one, and ciliumMounts
// runs there before it execs the agent.
func ciliumAgent(l layout, o Options, n Node) component {
	dir := l.ciliumDir(n.Name)
	args := []string{
		"--mount", "--propagation", "private", "--",
		"/bin/sh", "-c", ciliumMounts,
		l.ciliumRunDir(n.Name),
		filepath.Join(o.BinDir, ciliumName),
		"--k8s-kubeconfig-path=" + l.componentKubeconfig(ciliumID.file),
		"--state-dir=" + filepath.Join(dir, "state"),
		"--socket-path=" + l.ciliumSocket(n.Name),
		"--bpf-root=" + l.ciliumBPFRoot(n.Name),
		"--lib-dir=" + ciliumLibDir(o.BinDir),
		// Identities as CRDs in the apiserver: the default (a kvstore)
		// needs an etcd of Cilium's own.
		"--identity-allocation-mode=crd",
		// The lab routes every node's pod CIDR via its node already; the
		// default (a VXLAN tunnel) would add encapsulation the other engine
		// does not have.
		"--routing-mode=native",
		"--ipv4-native-routing-cidr=" + ClusterCIDR,
		"--auto-direct-node-routes=false",
		"--devices=" + NodeInterface,
		"--direct-routing-device=" + NodeInterface,
		// Pod addresses from the Node's spec.podCIDR, as the node agent set
		// it (cluster-pool IPAM needs the operator).
		"--ipam=kubernetes",
		"--enable-ipv4=true",
		"--enable-ipv6=false",
		// kube-proxy stays the Service proxy, as with kube-router.
		"--kube-proxy-replacement=false",
		"--bpf-lb-sock=false",
		// No Envoy here: no L7 or FQDN policy.
		"--enable-l7-proxy=false",
		"--enable-envoy-config=false",
		"--enable-hubble=false",
		"--enable-health-checking=false",
		"--enable-endpoint-health-checking=false",
		"--enable-ipv4-masquerade=false",
		"--enable-bpf-masquerade=false",
		// The lab writes each node's conflist; the agent must not rename
		// or write CNI configurations on the host.
		"--cni-exclusive=false",
		"--write-cni-conf-when-ready=",
		"--cni-log-file=" + filepath.Join(dir, "cni.log"),
	}
	return component{
		name:  ciliumName,
		node:  n.Name,
		netns: n.Netns(),
		path:  "/usr/bin/unshare",
		args:  args,
		env: []string{
			"PATH=" + llvmBinDir + ":" + os.Getenv("PATH"),
			"K8S_NODE_NAME=" + n.Name,
		},
	}
}

// ciliumMounts prepares the agent's mount namespace, then execs the agent
// ("$@"). It mounts the node's run directory ($0) over /run/cilium, so the
// agent's fixed-path pid file and sockets (and a cgroup2 mount, should it
// make one) are the node's own and vanish with the agent. And it makes the
// host-wide sysctls the agent would set read-only for it
// (kernel.unprivileged_bpf_disabled=1 cannot be undone until reboot;
// kernel.timer_migration, net.core.bpf_jit_enable and
// fb_tunnels_only_for_init_net are the host's too): the agent ignores the
// failed writes, as it does in kind's nodes.
const ciliumMounts = `set -e
mount --bind "$0" ` + ciliumRuntimeDir + `
for p in /proc/sys/kernel /proc/sys/net/core/bpf_jit_enable /proc/sys/net/core/fb_tunnels_only_for_init_net; do
	if [ -e "$p" ]; then mount --bind "$p" "$p"; mount -o remount,bind,ro "$p"; fi
done
exec "$@"`
