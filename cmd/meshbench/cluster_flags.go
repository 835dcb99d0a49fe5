package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

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

// client connects; no cluster configured or failing to load a kubeconfig
// is bad input (exit 2).
func (f *clusterFlags) client() (*cluster.Client, error) {
	if err := f.configured(); err != nil {
		return nil, err
	}
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

// configured refuses to go on when nothing names a cluster: no kubeconfig
// file with a cluster, no --server, not inside a pod. client-go would then
// fall back to http://localhost:8080 and the user would read "cannot reach
// the cluster" about a cluster they never meant.
func (f *clusterFlags) configured() error {
	if f.cfg.APIServer != nil && *f.cfg.APIServer != "" {
		return nil
	}
	if os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != "" {
		return nil // in a pod: client-go uses the pod's service account
	}
	loader := f.cfg.ToRawKubeConfigLoader()
	raw, err := loader.RawConfig()
	if err != nil {
		return usagef("no cluster to talk to: %v (set --kubeconfig or KUBECONFIG, or start the lab: meshbench lab up)", err)
	}
	if len(raw.Clusters) > 0 {
		return nil
	}
	where := strings.Join(loader.ConfigAccess().GetLoadingPrecedence(), ", ")
	if f.cfg.KubeConfig != nil && *f.cfg.KubeConfig != "" {
		where = *f.cfg.KubeConfig
	}
	return usagef("no cluster configured: no kubeconfig with a cluster in %s; point at one with --kubeconfig FILE or KUBECONFIG=FILE (and --context NAME), or start the lab: sudo meshbench lab up, then export KUBECONFIG=$(meshbench lab kubeconfig)", where)
}
