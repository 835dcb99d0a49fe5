package lab

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// The component names. The control plane starts in this order; each node's
// components after it. Stop goes in reverse, so the node agents remove their
// pods before the control plane goes away.
const (
	etcdName      = "etcd"
	apiserverName = "kube-apiserver"
	managerName   = "kube-controller-manager"
	schedulerName = "kube-scheduler"
	agentName     = "node-agent"
	proxyName     = "kube-proxy"
	routerName    = "kube-router"
	// On the vxlan and wireguard networks each node also runs flanneld or
	// its WireGuard device (`meshbench lab wireguard`).
	flanneldName  = "flanneld"
	wireguardName = "wireguard"
)

var controlPlaneOrder = []string{etcdName, apiserverName, managerName, schedulerName}

var nodeComponentOrder = []string{agentName, proxyName, routerName}

// binaries are the executables the lab needs from <repo>/bin (`make lab`).
var binaries = []string{apiserverName, managerName, schedulerName, proxyName, routerName}

// cniPlugins are the CNI plugins the node agents call (`make lab` builds them
// from github.com/containernetworking/plugins).
var cniPlugins = []string{"ptp", "bridge", "host-local", "loopback"}

func loopbackURL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }

// controlPlane returns the command line of every control-plane component
// (host namespace) of the lab at l.
func controlPlane(l layout, o Options) map[string]component {
	bin := func(name string) string { return filepath.Join(o.BinDir, name) }
	kc := func(id identity) string { return l.componentKubeconfig(id.file) }
	peer := loopbackURL(EtcdPeerPort)
	return map[string]component{
		etcdName: {name: etcdName, path: o.Etcd, args: []string{
			"--name=meshbench-lab",
			"--data-dir=" + l.etcdData(),
			"--listen-client-urls=" + loopbackURL(EtcdClientPort),
			"--advertise-client-urls=" + loopbackURL(EtcdClientPort),
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=meshbench-lab=" + peer,
			"--initial-cluster-state=new",
		}},
		apiserverName: {name: apiserverName, path: bin(apiserverName), args: []string{
			"--etcd-servers=" + loopbackURL(EtcdClientPort),
			// The host's end of the underlay: reachable from every node
			// namespace, and from nowhere outside this host.
			"--bind-address=" + ControlPlaneIP,
			fmt.Sprintf("--secure-port=%d", APIServerPort),
			"--advertise-address=" + ControlPlaneIP,
			"--cert-dir=" + l.pki(""),
			"--tls-cert-file=" + l.pki("apiserver.crt"),
			"--tls-private-key-file=" + l.pki("apiserver.key"),
			"--client-ca-file=" + l.pki("ca.crt"),
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + l.pki("sa.pub"),
			"--service-account-signing-key-file=" + l.pki("sa.key"),
			"--service-cluster-ip-range=" + ServiceCIDR,
			// Logs: the apiserver calls each node agent's kubelet API on the
			// Node's InternalIP with a client certificate, and (no
			// --kubelet-certificate-authority) does not verify its serving
			// certificate.
			"--kubelet-client-certificate=" + l.pki(kubeletID.file+".crt"),
			"--kubelet-client-key=" + l.pki(kubeletID.file+".key"),
			"--kubelet-preferred-address-types=InternalIP",
			"--allow-privileged=true",
			"--profiling=false",
			// DeleteCollection deletes item by item; one worker (the
			// default) makes removing 10,000 policies take half a minute.
			"--delete-collection-workers=16",
		}},
		managerName: {name: managerName, path: bin(managerName), args: []string{
			"--kubeconfig=" + kc(managerID),
			"--authentication-kubeconfig=" + kc(managerID),
			"--authorization-kubeconfig=" + kc(managerID),
			"--service-account-private-key-file=" + l.pki("sa.key"),
			"--root-ca-file=" + l.pki("ca.crt"),
			"--use-service-account-credentials",
			// Each node agent sets its Node's podCIDR (the lab's plan), which
			// the routes between nodes are built from.
			"--controllers=*,-nodeipam",
			"--secure-port=0",
			"--leader-elect=false",
			"--profiling=false",
		}},
		schedulerName: {name: schedulerName, path: bin(schedulerName), args: []string{
			"--kubeconfig=" + kc(schedulerID),
			"--secure-port=0",
			"--leader-elect=false",
			"--profiling=false",
		}},
	}
}

// nodeComponents returns the command lines of node n's components, each to
// run inside the node's network namespace.
func nodeComponents(l layout, o Options, n Node) map[string]component {
	bin := func(name string) string { return filepath.Join(o.BinDir, name) }
	kc := func(id identity) string { return l.componentKubeconfig(id.file) }
	ip := n.IP.String()
	c := func(name, path string, args ...string) component {
		return component{name: name, node: n.Name, netns: n.Netns(), path: path, args: args}
	}
	return map[string]component{
		flanneldName:  flannelComponent(l, o, n),
		wireguardName: wireguardComponent(l, o, n),
		agentName: c(agentName, o.Meshbench,
			"lab", "agent",
			"--state-dir="+l.nodeDir(n.Name),
			"--kubeconfig="+kc(nodeID),
			"--node-name="+n.Name,
			"--node-ip="+ip,
			"--pod-cidr="+n.PodCIDR.String(),
			"--cni-conf-dir="+l.cniConfDir(n.Name),
			"--cni-bin-dir="+o.BinDir,
			"--node-annotation="+networkAnnotations(o.Network),
		),
		proxyName: c(proxyName, bin(proxyName),
			"--kubeconfig="+kc(proxyID),
			"--hostname-override="+n.Name,
			"--proxy-mode=iptables",
			// Traffic to a Service from outside the pods (the host, another
			// node) is masqueraded, so its answer comes back this way.
			"--cluster-cidr="+ClusterCIDR,
			"--nodeport-addresses="+ip+"/32",
			"--iptables-localhost-nodeports=false",
			"--conntrack-max-per-core=0",
			"--conntrack-min=0",
			"--conntrack-tcp-timeout-established=0",
			"--conntrack-tcp-timeout-close-wait=0",
			// healthz on the node's address, where the host can ask.
			fmt.Sprintf("--healthz-bind-address=%s:%d", ip, KubeProxyHealthz),
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", KubeProxyMetrics),
		),
		routerName: c(routerName, bin(routerName),
			"--kubeconfig="+kc(routerID),
			"--hostname-override="+n.Name,
			"--run-firewall=true",
			"--run-router=false",
			"--run-service-proxy=false",
			"--enable-cni=false",
			"--health-port=0",
			"--metrics-port=0",
		),
	}
}
