package main

import (
	"log/slog"
	"net/netip"
	"os"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/node"
)

func init() { registerLab(newLabAgentCmd) }

// newLabAgentCmd is `meshbench lab agent`, the lab's node agent; `lab up`
// starts it, users do not.
func newLabAgentCmd() *cobra.Command {
	var (
		kubeconfig string
		first      = lab.NodeAt(1)
		cfg        = node.Config{NodeName: first.Name, NodeIP: first.IP.String(), PodCIDR: first.PodCIDR.String(), KubeletPort: lab.KubeletPort}
	)
	cmd := &cobra.Command{
		Use:    "agent",
		Short:  "Run the lab's node agent (kubelet and CNI of the lab's node); started by lab up",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if kubeconfig == "" {
				return usagef("--kubeconfig: want the path of a kubeconfig for the lab's apiserver")
			}
			if _, err := os.Stat(kubeconfig); err != nil {
				return usagef("--kubeconfig %q: %v", kubeconfig, err)
			}
			if ip, err := netip.ParseAddr(cfg.NodeIP); err != nil || !ip.Is4() {
				return usagef("--node-ip %q: want an IPv4 address on a local interface, e.g. %s", cfg.NodeIP, first.IP)
			}
			if p, err := netip.ParsePrefix(cfg.PodCIDR); err != nil || !p.Addr().Is4() || p.Bits() > 30 {
				return usagef("--pod-cidr %q: want an IPv4 prefix of /30 or larger, e.g. %s", cfg.PodCIDR, first.PodCIDR)
			}
			if cfg.CNIConfDir == "" || cfg.CNIBinDir == "" {
				return usagef("--cni-conf-dir and --cni-bin-dir: want the node's CNI configuration directory and the plugins' directory")
			}
			if cfg.KubeletPort <= 0 || cfg.KubeletPort > 65535 {
				return usagef("--kubelet-port %d: want a port number 1-65535, e.g. %d", cfg.KubeletPort, lab.KubeletPort)
			}
			if cfg.NodeName == "" {
				return usagef("--node-name: want a name, e.g. %s", first.Name)
			}
			rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
			if err != nil {
				return usagef("--kubeconfig %q: %v", kubeconfig, err)
			}
			cfg.REST = rc
			cfg.StateDir = cmd.Flag("state-dir").Value.String()
			cfg.Log = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
			return node.Run(cmd.Context(), cfg)
		},
	}
	f := cmd.Flags()
	f.StringVar(&kubeconfig, "kubeconfig", "", "kubeconfig of the lab's apiserver (required)")
	f.StringVar(&cfg.NodeName, "node-name", cfg.NodeName, "name of the Node to register")
	f.StringVar(&cfg.NodeIP, "node-ip", cfg.NodeIP, "the Node's InternalIP, on a local interface; the kubelet API listens on it")
	f.StringVar(&cfg.PodCIDR, "pod-cidr", cfg.PodCIDR, "range of pod IPs (the Node's podCIDR)")
	f.StringToStringVar(&cfg.Annotations, "node-annotation", nil, "key=value annotations of the Node (the lab's network), repeatable")
	f.StringVar(&cfg.CNIConfDir, "cni-conf-dir", "", "directory of the node's CNI configuration; its first .conflist wires pods (required)")
	f.StringVar(&cfg.CNIBinDir, "cni-bin-dir", "", "directory of the CNI plugins (required)")
	f.IntVar(&cfg.KubeletPort, "kubelet-port", cfg.KubeletPort, "HTTPS port of the kubelet API (container logs)")
	f.StringVar(&cfg.Binary, "binary", "", "program that meshbench images run (default: this executable)")
	f.BoolVar(&cfg.LeavePods, "leave-pods", false, "on exit keep pods running for the next agent to take over (lab down removes them)")
	return cmd
}
