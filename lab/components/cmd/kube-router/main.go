// Command kube-router is upstream kube-router at the version pinned in
// ../../go.mod. The lab runs it in firewall-only mode as its NetworkPolicy
// engine.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cloudnativelabs/kube-router/v2/pkg/cmd"
	"github.com/cloudnativelabs/kube-router/v2/pkg/options"
	"github.com/cloudnativelabs/kube-router/v2/pkg/version"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kube-router:", err)
		os.Exit(1)
	}
}

func run() error {
	klog.InitFlags(nil)
	config := options.NewKubeRouterConfig()
	config.AddFlags(pflag.CommandLine)
	pflag.Parse()
	// klog reads its own flag set; carry the verbosity over and log to stderr,
	// which the lab redirects to the component's log file.
	if err := flag.Set("logtostderr", "true"); err != nil {
		return err
	}
	if err := flag.Set("v", config.VLevel); err != nil {
		return err
	}
	if config.HelpRequested {
		pflag.Usage()
		return nil
	}
	if config.Version {
		version.PrintVersion(false)
		return nil
	}
	if config.CleanupConfig {
		cmd.CleanupConfigAndExit()
		return nil
	}
	router, err := cmd.NewKubeRouterDefault(config)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return router.Run()
}
