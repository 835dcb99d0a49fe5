package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/loadgen"
)

func init() { register(newProbeCmd) }

// newProbeCmd is the prober the enforcement check runs in a pod: one new
// connection per attempt, one JSON line per outcome on stdout.
func newProbeCmd() *cobra.Command {
	var (
		target   string
		interval time.Duration
		timeout  time.Duration
		count    int
	)
	cmd := &cobra.Command{
		Use:   "probe --url URL",
		Short: "Try a new HTTP connection to URL at an interval and print each outcome as a JSON line",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := loadgen.CheckURL(target); err != nil {
				return usagef("--url %q: %v; want an http URL, e.g. http://10.244.0.5:8080/healthz", target, err)
			}
			if interval <= 0 {
				return usagef("--interval %s: want a positive duration, e.g. 200ms", interval)
			}
			if timeout <= 0 {
				return usagef("--timeout %s: want a positive duration, e.g. 500ms", timeout)
			}
			if count < 0 {
				return usagef("--count %d: want 0 (until stopped) or a number of attempts, e.g. 10", count)
			}
			ctx := cmd.Context()
			enc := json.NewEncoder(os.Stdout)
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for i := 0; count <= 0 || i < count; i++ {
				if err := enc.Encode(loadgen.Probe(ctx, target, timeout)); err != nil {
					return err
				}
				select {
				case <-ctx.Done():
					return nil
				case <-tick.C:
				}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&target, "url", "", "URL to probe, e.g. http://10.244.0.5:8080/healthz")
	f.DurationVar(&interval, "interval", 200*time.Millisecond, "time between attempts")
	f.DurationVar(&timeout, "timeout", 500*time.Millisecond, "time an attempt may take before it counts as denied")
	f.IntVar(&count, "count", 0, "stop after this many attempts (0 = until stopped)")
	return cmd
}
