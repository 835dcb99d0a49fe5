package main

import (
	"github.com/spf13/cobra"
)

// subcommands are added by each command's file in its init function, so the
// files stay independent of one another.
var subcommands []func() *cobra.Command

func register(f func() *cobra.Command) { subcommands = append(subcommands, f) }

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "meshbench",
		Short: "Measure what network policies and service meshes cost a Kubernetes workload",
		Long: `meshbench adds 0..N network policies or enables a mesh in steps, drives HTTP
load with one new TCP connection per request across response sizes at every
step, and reports the absolute and percent overhead against the step with
nothing applied, with confidence intervals.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
	}
	root.SetFlagErrorFunc(flagError)
	root.SetVersionTemplate("meshbench {{.Version}}\n")
	for _, f := range subcommands {
		c := f()
		c.SetFlagErrorFunc(flagError)
		root.AddCommand(c)
	}
	checkArgsAsUsage(root)
	return root
}
