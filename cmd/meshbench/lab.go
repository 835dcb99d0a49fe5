package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/lab"
)

func init() { register(newLabCmd) }

// labSubcommands are added to `meshbench lab` by files of their own (the node
// agent's `lab agent`), in their init functions.
var labSubcommands []func() *cobra.Command

func registerLab(f func() *cobra.Command) { labSubcommands = append(labSubcommands, f) }

func newLabCmd() *cobra.Command {
	var stateDir string
	cmd := &cobra.Command{
		Use:   "lab",
		Short: "Run a real single-node Kubernetes on this machine, pods as network namespaces",
		Long: `lab runs etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
kube-proxy, kube-router (the NetworkPolicy engine) and a node agent whose pods
are network namespaces on this host. It needs Linux, root (or CAP_NET_ADMIN),
and the binaries built by 'make lab'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&stateDir, "state-dir", lab.StateDirFromEnv(), "directory of the lab's certificates, kubeconfig, logs and pid files (env MESHBENCH_LAB_DIR)")
	opts := func() lab.Options { return lab.Options{StateDir: stateDir, Progress: os.Stderr} }

	up := &cobra.Command{
		Use:   "up",
		Short: "Start the lab and wait until it is ready",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			l, err := lab.Start(cmd.Context(), opts())
			var pe *lab.PreflightError
			if errors.As(err, &pe) {
				return usageErr(err)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "kubeconfig: %s\nexport KUBECONFIG=%s\n", l.Kubeconfig(), l.Kubeconfig())
			return nil
		},
	}
	down := &cobra.Command{
		Use:   "down",
		Short: "Stop the lab and remove everything it made on this host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return lab.Down(cmd.Context(), opts())
		},
	}
	status := &cobra.Command{
		Use:   "status",
		Short: "Show each component's health",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			healthy := true
			for _, s := range lab.Status(cmd.Context(), opts()) {
				fmt.Fprintln(cmd.OutOrStdout(), s)
				healthy = healthy && s.Healthy
			}
			if !healthy {
				return errors.New("the lab is not healthy")
			}
			return nil
		},
	}
	var contents bool
	kubeconfig := &cobra.Command{
		Use:   "kubeconfig",
		Short: "Print the path of the lab's kubeconfig (or its contents with --contents)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := lab.KubeconfigPath(stateDir)
			if !contents {
				fmt.Fprintln(cmd.OutOrStdout(), path)
				return nil
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return fmt.Errorf("no lab kubeconfig (run meshbench lab up): %w", err)
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	kubeconfig.Flags().BoolVar(&contents, "contents", false, "print the kubeconfig itself instead of its path")

	cmd.AddCommand(up, down, status, kubeconfig)
	for _, f := range labSubcommands {
		c := f()
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
		cmd.AddCommand(c)
	}
	for _, c := range cmd.Commands() {
		c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageErr(err) })
	}
	return cmd
}
