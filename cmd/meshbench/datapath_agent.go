package main

import (
	"context"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/datapath"
)

func init() { register(newDatapathAgentCmd) }

// newDatapathAgentCmd is what the datapath pod of `run --datapath-pod`
// runs on a node: one JSON line of the node's rule counters, CPU times and
// load per interval on stdout, which the run follows through the pod's log.
func newDatapathAgentCmd() *cobra.Command {
	var (
		every    time.Duration
		hostRoot string
	)
	cmd := &cobra.Command{
		Use:    "datapath-agent [--every 1s] [--host-root /host]",
		Short:  "Print the node's iptables-save -c, /proc/stat and /proc/loadavg as a JSON line per interval (the datapath pod of run --datapath-pod)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if every < 100*time.Millisecond {
				return usagef("--every %s: want a duration of 100ms or more, e.g. 1s", every)
			}
			return datapath.RunAgent(cmd.Context(), os.Stdout, every, func(ctx context.Context) ([]byte, error) {
				return datapath.IptablesSave(ctx, hostRoot)
			})
		},
	}
	f := cmd.Flags()
	f.DurationVar(&every, "every", datapath.ReadEvery, "time between samples")
	f.StringVar(&hostRoot, "host-root", "", "where the node's root file system is mounted: its own iptables-save runs chrooted there (default: iptables-save on PATH)")
	return cmd
}
