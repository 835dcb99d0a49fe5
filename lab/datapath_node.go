package lab

import (
	"context"
	"fmt"
	"slices"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// nodeNetns reads a lab node's datapath by entering its network namespace.
type nodeNetns struct{ node Node }

func (n nodeNetns) Name() string { return n.node.Name }

func (n nodeNetns) Run(ctx context.Context, argv ...string) ([]byte, error) {
	return nsnet.Output(ctx, n.node.Netns(), argv...)
}

// DatapathNode is the running lab's node of that Kubernetes node name, read
// from inside its network namespace; an error when the lab at stateDir has
// no such node (the cluster is not the lab).
func DatapathNode(stateDir, name string) (datapath.Node, error) {
	nodes := RunningNodes(stateDir)
	i := slices.IndexFunc(nodes, func(n Node) bool { return n.Name == name })
	if i < 0 || !nsnet.Exists(nodes[i].Netns()) {
		return nil, fmt.Errorf("node %s is not a node of the lab at %s", name, stateDir)
	}
	return nodeNetns{nodes[i]}, nil
}

// Do runs fn inside the node's network namespace (datapath.InNetns).
func (n nodeNetns) Do(fn func() error) error { return nsnet.Do(n.node.Netns(), fn) }
