// Command cilium-agent is upstream Cilium's agent at the version pinned in
// ../../go.mod, built for meshbench's lab, where one runs inside each node's
// network namespace as the lab's eBPF policy engine.
package main

import (
	"github.com/cilium/cilium/daemon/cmd"
	"github.com/cilium/cilium/pkg/hive"
)

func main() {
	cmd.Execute(cmd.NewAgentCmd(func() *hive.Hive { return hive.New(cmd.Agent) }))
}
