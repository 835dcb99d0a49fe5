package lab

import (
	"context"
	"fmt"
	"syscall"
)

// Component names, for Signal, Kill and StartComponent.
const (
	ComponentEtcd       = etcdName
	ComponentAPIServer  = apiserverName
	ComponentNodeAgent  = agentName
	ComponentKubeProxy  = proxyName
	ComponentKubeRouter = routerName
	ComponentCilium     = ciliumName
)

// Signal sends sig to the lab's running component name, of the named node
// (empty for the control plane): SIGSTOP and SIGCONT pause and resume it.
// For fault tests and for trying the lab's recovery by hand.
func (lab *Lab) Signal(name, node string, sig syscall.Signal) ([]int, error) {
	var pids []int
	for _, p := range findProcesses(lab.l) {
		if p.name != name || p.node != node {
			continue
		}
		if err := syscall.Kill(p.pid, sig); err != nil {
			return pids, fmt.Errorf("%s (pid %d): %w", component{name: name, node: node}.id(), p.pid, err)
		}
		pids = append(pids, p.pid)
	}
	if len(pids) == 0 {
		return nil, fmt.Errorf("%s is not running", component{name: name, node: node}.id())
	}
	return pids, nil
}

// Kill SIGKILLs the component, as a crash would, and waits until it is
// gone. A node agent's pods keep their processes and networks.
func (lab *Lab) Kill(ctx context.Context, name, node string) error {
	pids, err := lab.Signal(name, node, syscall.SIGKILL)
	if err != nil {
		return err
	}
	for _, pid := range pids {
		if err := stopProcess(ctx, pid, 0); err != nil {
			return err
		}
	}
	return nil
}

// StartComponent starts the component of the named node (empty for the
// control plane) as up does.
func (lab *Lab) StartComponent(name, node string) error {
	if node == "" {
		c, ok := controlPlane(lab.l, lab.opts)[name]
		if !ok {
			return fmt.Errorf("%q is not a control-plane component", name)
		}
		_, err := startDetached(lab.l, c)
		return err
	}
	for _, n := range lab.nodes {
		if n.Name == node {
			c, ok := engineComponents(lab.l, lab.opts, readEngine(lab.l), n)[name]
			if !ok {
				return fmt.Errorf("%q is not a node component", name)
			}
			_, err := startDetached(lab.l, c)
			return err
		}
	}
	return fmt.Errorf("node %q is not one of the lab's", node)
}

// KillAgent and StartAgent crash and restart the named node's agent.
func (lab *Lab) KillAgent(ctx context.Context, node string) error {
	return lab.Kill(ctx, agentName, node)
}

func (lab *Lab) StartAgent(node string) error { return lab.StartComponent(agentName, node) }

// AgentLog is the path of the named node's agent log.
func (lab *Lab) AgentLog(node string) string {
	return lab.l.log(component{name: agentName, node: node}.id())
}

// WaitReady waits until every component of the lab is healthy again (after
// a fault test restarted one).
func (lab *Lab) WaitReady(ctx context.Context) error {
	return newWatcher(lab.l).until(ctx, "the lab healthy", func(ctx context.Context) error {
		return checkReady(ctx, lab.l, lab.nodes)
	})
}
