package main

import (
	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/wgdev"
)

func init() { registerLab(newLabWireGuardCmd) }

// newLabWireGuardCmd is `meshbench lab wireguard`, a node's userspace
// WireGuard device on the wireguard network; `lab up` starts it inside the
// node's namespace and configures it through wgctrl, users do not.
func newLabWireGuardCmd() *cobra.Command {
	var (
		device string
		mtu    int
		node   string
	)
	cmd := &cobra.Command{
		Use:    "wireguard",
		Short:  "Run a node's userspace WireGuard device (wireguard-go on TUN); started by lab up --network wireguard",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if device == "" || len(device) > 15 {
				return usagef("--device %q: want an interface name of 1-15 characters, e.g. %s", device, lab.WireGuardDevice(lab.NodeAt(1)))
			}
			if mtu < 576 || mtu > 9000 {
				return usagef("--mtu %d: want 576-9000, e.g. %d", mtu, lab.WireGuard.MTU())
			}
			return wgdev.Run(cmd.Context(), device, mtu)
		},
	}
	cmd.Flags().StringVar(&device, "device", "", "the TUN device's name, unique across the lab's nodes (its UAPI socket is "+wgdev.SocketDir+"/<name>.sock)")
	cmd.Flags().IntVar(&mtu, "mtu", lab.WireGuard.MTU(), "the device's MTU")
	cmd.Flags().StringVar(&node, "node-name", "", "the node it serves (names the process for lab down)")
	return cmd
}
