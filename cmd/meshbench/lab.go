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
		Short: "Run a real Kubernetes of 1-5 nodes on this machine, nodes and pods as network namespaces",
		Long: `lab runs etcd, kube-apiserver, kube-controller-manager and kube-scheduler on
this host, and 1-5 nodes, each a network namespace on a shared underlay bridge
running a node agent (the kubelet's role; pods wired by the CNI plugins ptp,
host-local and loopback through libcni), kube-proxy and kube-router (the
NetworkPolicy engine), or with --engine cilium a cilium-agent (pods wired by
cilium-cni, policies enforced by eBPF programs on every pod's interface). It needs Linux, root (or CAP_NET_ADMIN), and the
binaries built by 'make lab'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	cmd.PersistentFlags().StringVar(&stateDir, "state-dir", lab.StateDirFromEnv(), "directory of the lab's certificates, kubeconfig, logs and pid files (env MESHBENCH_LAB_DIR)")
	opts := func() lab.Options { return lab.Options{StateDir: stateDir, Progress: os.Stderr} }
	var nodes int
	var network string
	var engine string

	up := &cobra.Command{
		Use:   "up",
		Short: "Start the lab and wait until it is ready",
		Example: `  meshbench lab up              # two nodes: runs measure across nodes, like a real cluster
  meshbench lab up --nodes 1    # one node
  meshbench lab up --nodes 3
  meshbench lab up --network vxlan       # flannel's VXLAN overlay between nodes
  meshbench lab up --network wireguard   # userspace WireGuard (wireguard-go) tunnels between nodes
  meshbench lab up --engine cilium       # Cilium's eBPF datapath enforces the policies (make lab-cilium)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := lab.CheckNodeCount(nodes); err != nil {
				return usageErr(err)
			}
			nw, err := lab.ParseNetwork(network)
			if err != nil {
				return usageErr(err)
			}
			e, err := lab.ParseEngine(engine)
			if err != nil {
				return usageErr(err)
			}
			o := opts()
			o.Nodes = nodes
			o.Network = nw
			o.Engine = e
			l, err := lab.Start(cmd.Context(), o)
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
	up.Flags().StringVar(&engine, "engine", string(lab.EngineKubeRouter), "NetworkPolicy engine on every node: kube-router (iptables and ipset) or cilium (eBPF; also enforces CiliumNetworkPolicies)")
	up.Flags().IntVar(&nodes, "nodes", lab.DefaultNodes, fmt.Sprintf("number of nodes, %d-%d; each is a network namespace with its own agent, kube-proxy and kube-router", lab.MinNodes, lab.MaxNodes))
	up.Flags().StringVar(&network, "network", string(lab.DefaultNetwork), "how pods reach other nodes: routed (node routes on the underlay), vxlan (flannel, VXLAN overlay) or wireguard (userspace WireGuard tunnels, ChaCha20-Poly1305); ipsec is refused where the kernel has no ESP")
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
		Short: "Show the health of the control plane and of every node's components",
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
