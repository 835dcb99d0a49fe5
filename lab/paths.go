package lab

import "path/filepath"

// KubeconfigPath is the admin kubeconfig of the lab kept at stateDir.
func KubeconfigPath(stateDir string) string { return filepath.Join(stateDir, "kubeconfig") }

// layout names the files under a state directory.
type layout string

func (l layout) dir() string            { return string(l) }
func (l layout) kubeconfig() string     { return KubeconfigPath(string(l)) }
func (l layout) pki(name string) string { return filepath.Join(string(l), "pki", name) }
func (l layout) etcdData() string       { return filepath.Join(string(l), "etcd") }
func (l layout) log(name string) string { return filepath.Join(string(l), "logs", name+".log") }
func (l layout) pidDir() string         { return filepath.Join(string(l), "pids") }
func (l layout) pid(name string) string { return filepath.Join(l.pidDir(), name+".pid") }
func (l layout) componentKubeconfig(name string) string {
	return filepath.Join(string(l), "kubeconfigs", name+".kubeconfig")
}

// nodeDir holds one node's state: its agent's pod records, its CNI
// configuration, host-local IPAM data and libcni's result cache.
func (l layout) nodeDir(node string) string { return filepath.Join(string(l), "nodes", node) }
func (l layout) nodesDir() string           { return filepath.Join(string(l), "nodes") }

// cniConfDir is the node's CNI configuration directory (its conflist).
func (l layout) cniConfDir(node string) string { return filepath.Join(l.nodeDir(node), "cni", "net.d") }

// flannelNetConf is flanneld's network configuration, shared by the nodes.
func (l layout) flannelNetConf() string { return filepath.Join(string(l), "flannel", "net-conf.json") }

// flannelSubnetEnv is where node's flanneld writes its subnet.env.
func (l layout) flannelSubnetEnv(node string) string {
	return filepath.Join(l.nodeDir(node), "flannel", "subnet.env")
}

// topology records the nodes of the running lab.
func (l layout) topology() string { return filepath.Join(string(l), "nodes.json") }

// hostMarker exists while the lab may have objects on the host (interface,
// iptables chains, ipsets, sysctl): down removes them only then, so it never
// touches another Kubernetes' chains of the same names.
func (l layout) hostMarker() string { return filepath.Join(string(l), "host-objects") }

// savedIPForward holds net.ipv4.ip_forward as it was before the lab set it.
func (l layout) savedIPForward() string { return filepath.Join(string(l), "saved-ip_forward") }

// podRecords is where the node agent of a lab before nodes were namespaces
// kept its pods' records and logs.
func (l layout) podRecords() string { return filepath.Join(string(l), "pods") }
