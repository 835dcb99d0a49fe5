package lab

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// run executes a host tool (iptables in a node's namespace) and returns its
// output; the error carries the command and what it printed.
func run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}
