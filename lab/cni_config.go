package lab

import (
	"encoding/json"
	"os"
	"path/filepath"
)

// CNIConfigName is the conflist each node's agent loads, as the kubelet's
// runtime loads the first one of its CNI configuration directory.
const CNIConfigName = "10-meshbench.conflist"

// CNINetworkName is the network's name in every node's conflist.
const CNINetworkName = "meshbench-lab"

// ptpCNIConfig is node n's conflist on the routed and wireguard networks:
// the reference ptp plugin (a veth per pod,
// the node routing to it, the pod routing through the node: the routed model
// of Calico and kube-router) with host-local IPAM over the node's pod CIDR,
// keeping its leases under the node's own state directory.
// The pods' MTU is the network's (the tunnel's on wireguard).
func ptpCNIConfig(l layout, n Node, mtu int) map[string]any {
	return map[string]any{
		"cniVersion": "1.0.0",
		"name":       CNINetworkName,
		// Plugins are in this file only (no per-network plugin directory).
		"loadOnlyInlinedPlugins": true,
		"plugins": []any{
			map[string]any{
				"type":   "ptp",
				"mtu":    mtu,
				"ipMasq": false,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": n.PodCIDR.String()}}},
					"routes":  []map[string]string{{"dst": "0.0.0.0/0"}},
					"dataDir": filepath.Join(l.nodeDir(n.Name), "cni", "ipam"),
				},
			},
		},
	}
}

// writeCNIConfig writes node n's conflist conf into its CNI configuration
// directory (atomically: an agent may be reading it).
func writeCNIConfig(l layout, n Node, conf map[string]any) error {
	dir := l.cniConfDir(n.Name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+CNIConfigName+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, CNIConfigName))
}
