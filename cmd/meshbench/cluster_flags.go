package main

import (
	"flag"
	"fmt"
	"io"

	"k8s.io/klog/v2"

	"github.com/spf13/pflag"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/meshbench/meshbench/cluster"
)

func init() {
	// client-go logs retries and discovery failures through klog; meshbench
	// reports the one error that matters itself.
	fs := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(fs)
	_ = fs.Set("logtostderr", "false")
	_ = fs.Set("stderrthreshold", "FATAL")
	klog.SetOutput(io.Discard)
}

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
	if _, err := c.Kube.Discovery().ServerVersion(); err != nil {
		return nil, fmt.Errorf("cannot reach the cluster at %s: %v", rc.Host, err)
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
