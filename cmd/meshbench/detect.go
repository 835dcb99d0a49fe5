package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/meshes"
	"github.com/spf13/cobra"
)

func init() { register(newDetectCmd) }

func newDetectCmd() *cobra.Command {
	var (
		flags  *clusterFlags
		output string
	)
	cmd := &cobra.Command{
		Use:   "detect",
		Short: "Show which meshes, CNI and policy engine the cluster runs, with versions",
		Long: `detect reads the objects meshes and CNIs install (istiod and ztunnel, Linkerd's
control plane, the cilium DaemonSet and cilium-config, kube-router, calico-node,
the meshbench lab's Node) and the policy CRDs, and prints what it found and
which --mesh configurations of meshbench run the cluster offers. It changes
nothing.`,
		Example: `  meshbench detect
  meshbench detect --context prod -o json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("detect takes flags only, not %q", args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if output != "text" && output != "json" {
				return usagef("--output %q: want text or json", output)
			}
			c, err := flags.client()
			if err != nil {
				return err
			}
			d, err := meshes.Detect(cmd.Context(), c.Kube, c.Dynamic)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if output == "json" {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(d)
			}
			fmt.Fprintln(out, d)
			var offered []string
			for m, v := range d.MeshVersions() {
				offered = append(offered, m+" ("+v+")")
			}
			sort.Strings(offered)
			fmt.Fprintf(out, "--mesh configurations available: none%s\n", prefixJoin(", ", offered))
			var crds []string
			for n, ok := range d.CRDs {
				if ok {
					crds = append(crds, n)
				}
			}
			sort.Strings(crds)
			if len(crds) > 0 {
				fmt.Fprintf(out, "policy CRDs: %s\n", strings.Join(crds, ", "))
			}
			for _, n := range d.Notes {
				fmt.Fprintln(out, "note:", n)
			}
			return nil
		},
	}
	flags = newClusterFlags(cmd.Flags())
	cmd.Flags().StringVarP(&output, "output", "o", "text", "text or json")
	return cmd
}

func prefixJoin(sep string, s []string) string {
	if len(s) == 0 {
		return ""
	}
	return sep + strings.Join(s, sep)
}
