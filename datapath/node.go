package datapath

import "context"

// Node runs a command in a node's network namespace and returns its
// standard output: the one way this package reads a node, so the lab
// (setns into its node), a privileged pod on a real node, and tests (a
// namespace of their own) each provide it.
type Node interface {
	Name() string
	Run(ctx context.Context, argv ...string) ([]byte, error)
}
