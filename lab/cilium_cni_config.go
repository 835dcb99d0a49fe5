package lab

import (
	"path/filepath"
)

// ciliumCNIConfig is node n's conflist under Cilium: cilium-cni alone
// creates the pod's veth pair (lxc… on the node's side), asks the node's
// agent for the address (from the Node's pod CIDR) and leaves the agent to
// attach its programs, as on a real Cilium node.
func ciliumCNIConfig(l layout, n Node) map[string]any {
	return map[string]any{
		"cniVersion":             "1.0.0",
		"name":                   CNINetworkName,
		"loadOnlyInlinedPlugins": true,
		"plugins": []any{
			map[string]any{
				"type":     ciliumCNI,
				"log-file": filepath.Join(l.ciliumDir(n.Name), "cni.log"),
			},
		},
	}
}
