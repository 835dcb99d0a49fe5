// Command cilium-cni is upstream Cilium's CNI plugin at the version pinned in
// ../../go.mod. The lab's node agents call it through libcni; it creates each
// pod's veth pair and hands the endpoint to the node's cilium-agent.
package main

import (
	"runtime"

	"github.com/cilium/cilium/plugins/cilium-cni/cmd"
)

// The plugin switches network namespaces on its thread.
func init() { runtime.LockOSThread() }

func main() { cmd.PluginMain() }
