package main

import (
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/meshbench/meshbench/cluster"
)

// clusterFlags are kubectl's connection flags (--kubeconfig, --context,
// -n/--namespace, ...) with kubectl's rules, KUBECONFIG included.
type clusterFlags struct {
	cfg *genericclioptions.ConfigFlags
}

func newClusterFlags(fs *pflag.FlagSet) *clusterFlags {
	cf := genericclioptions.NewConfigFlags(true)
	cf.AddFlags(fs)
	return &clusterFlags{cfg: cf}
}

// client connects; failing to load a kubeconfig is bad input (exit 2).
func (f *clusterFlags) client() (*cluster.Client, error) {
	rc, err := f.cfg.ToRESTConfig()
	if err != nil {
		return nil, usagef("no cluster to talk to: %v (set --kubeconfig or KUBECONFIG, or start the lab: meshbench lab up)", err)
	}
	c, err := cluster.New(rc)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	return c, nil
}

// namespace returns the namespace given with -n, or "" when none was given.
func (f *clusterFlags) namespace(fs *pflag.FlagSet) string {
	if fs.Changed("namespace") && f.cfg.Namespace != nil {
		return *f.cfg.Namespace
	}
	return ""
}
