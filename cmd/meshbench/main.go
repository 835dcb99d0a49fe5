// Command meshbench measures what network security costs a Kubernetes workload.
//
// The command only wires flags to the library packages (loadgen, analysis,
// generators, policies, meshes, cluster, lab); every subcommand lives in a file
// of its own and registers itself with the root command in an init function.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Ctrl-C and SIGTERM cancel the context; commands clean up what they
	// created before returning.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(execute(ctx, os.Args[1:]))
}

// execute runs the command line and maps the outcome to meshbench's exit
// codes: 0 ok, 1 run failed, 2 bad input.
func execute(ctx context.Context, args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	fmt.Fprintln(os.Stderr, "meshbench: "+err.Error())
	var ue *usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}
