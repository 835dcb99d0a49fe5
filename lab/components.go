package lab

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// The component names, in start order. Stop goes in reverse, so the node
// agent removes its pods before the control plane goes away.
const (
	etcdName      = "etcd"
	apiserverName = "kube-apiserver"
	managerName   = "kube-controller-manager"
	schedulerName = "kube-scheduler"
	agentName     = "node-agent"
	proxyName     = "kube-proxy"
	routerName    = "kube-router"
)

var componentOrder = []string{etcdName, apiserverName, managerName, schedulerName, agentName, proxyName, routerName}

// binaries are the executables the lab needs from <repo>/bin (`make lab`).
var binaries = []string{apiserverName, managerName, schedulerName, proxyName, routerName}

func loopbackURL(port int) string { return "http://127.0.0.1:" + strconv.Itoa(port) }

// commands returns every component's command line for the lab at l.
func commands(l layout, o Options) map[string]component {
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
			"--bind-address=127.0.0.1",
			fmt.Sprintf("--secure-port=%d", APIServerPort),
			// The kubernetes Service's endpoint: an address pods could route
			// to, unlike loopback.
			"--advertise-address=" + NodeIP,
			"--cert-dir=" + l.pki(""),
			"--tls-cert-file=" + l.pki("apiserver.crt"),
			"--tls-private-key-file=" + l.pki("apiserver.key"),
			"--client-ca-file=" + l.pki("ca.crt"),
			"--authorization-mode=RBAC",
			"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
			"--service-account-key-file=" + l.pki("sa.pub"),
			"--service-account-signing-key-file=" + l.pki("sa.key"),
			"--service-cluster-ip-range=" + ServiceCIDR,
			// Logs: the apiserver calls the node agent's kubelet API on the
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
			// The node agent sets the Node's podCIDR itself.
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
		agentName: {name: agentName, path: o.Meshbench, args: []string{
			"lab", "agent",
			"--state-dir=" + l.dir(),
			"--kubeconfig=" + kc(nodeID),
			"--node-name=" + NodeName,
			"--node-ip=" + NodeIP,
		}},
		proxyName: {name: proxyName, path: bin(proxyName), args: []string{
			"--kubeconfig=" + kc(proxyID),
			"--hostname-override=" + NodeName,
			"--proxy-mode=iptables",
			"--cluster-cidr=" + PodCIDR,
			// NodePorts open on the lab's node address only, and kube-proxy
			// leaves the host's conntrack sysctls and route_localnet alone.
			"--nodeport-addresses=" + NodeIP + "/32",
			"--iptables-localhost-nodeports=false",
			"--conntrack-max-per-core=0",
			"--conntrack-min=0",
			"--conntrack-tcp-timeout-established=0",
			"--conntrack-tcp-timeout-close-wait=0",
			fmt.Sprintf("--healthz-bind-address=127.0.0.1:%d", KubeProxyHealthz),
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", KubeProxyMetrics),
		}},
		routerName: {name: routerName, path: bin(routerName), args: []string{
			"--kubeconfig=" + kc(routerID),
			"--hostname-override=" + NodeName,
			"--run-firewall=true",
			"--run-router=false",
			"--run-service-proxy=false",
			"--enable-cni=false",
			"--health-port=0",
			"--metrics-port=0",
		}},
	}
}
