package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"
)

func init() { register(newCleanupCmd) }

func newCleanupCmd() *cobra.Command {
	var (
		runID   string
		timeout time.Duration
		cf      *clusterFlags
	)
	cmd := &cobra.Command{
		Use:   "cleanup [--run ID]",
		Short: "Remove everything meshbench created on the cluster (by label; also what crashed runs left)",
		Long: `cleanup deletes, by label selector and in bulk, every object that carries
app.kubernetes.io/managed-by=meshbench — of one run with --run, else of every
run — and the namespaces meshbench created, then waits until they are gone.
It never touches an object without meshbench's labels.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if timeout <= 0 {
				return usagef("--timeout %s: want a positive duration, e.g. 2m", timeout)
			}
			c, err := cf.client()
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			start := time.Now()
			n, err := c.DeleteRun(ctx, runID)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %d objects in %s\n", n, time.Since(start).Round(time.Millisecond))
			return nil
		},
	}
	cf = newClusterFlags(cmd.Flags())
	cmd.Flags().StringVar(&runID, "run", "", "remove only the objects of this run id (default: every run)")
	cmd.Flags().DurationVar(&timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}
