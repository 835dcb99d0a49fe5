package lab

import (
	"context"
	"fmt"
	"syscall"
)

// KillAgent SIGKILLs the node agent of the named node, as a crash would: its
// pods' processes and networks stay. StartAgent starts it again; the agent
// then takes its pods over (see lab/node's recovery). For tests and for
// trying a node agent's recovery by hand.
func (lab *Lab) KillAgent(ctx context.Context, node string) error {
	killed := 0
	for _, p := range findProcesses(lab.l) {
		if p.name != agentName || p.node != node {
			continue
		}
		if err := syscall.Kill(p.pid, syscall.SIGKILL); err != nil {
			return fmt.Errorf("node %s agent (pid %d): %w", node, p.pid, err)
		}
		if err := stopProcess(ctx, p.pid, 0); err != nil {
			return err
		}
		killed++
	}
	if killed == 0 {
		return fmt.Errorf("node %s has no running agent", node)
	}
	return nil
}

// StartAgent starts the node agent of the named node as up does.
func (lab *Lab) StartAgent(node string) error {
	for _, n := range lab.nodes {
		if n.Name == node {
			_, err := startDetached(lab.l, nodeComponents(lab.l, lab.opts, n)[agentName])
			return err
		}
	}
	return fmt.Errorf("node %q is not one of the lab's", node)
}

// AgentLog is the path of the named node's agent log.
func (lab *Lab) AgentLog(node string) string {
	return lab.l.log(component{name: agentName, node: node}.id())
}
