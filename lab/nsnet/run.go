package nsnet

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Output runs argv inside the named namespace and returns its standard
// output; a failure carries the last line of its standard error.
func Output(ctx context.Context, name string, argv ...string) ([]byte, error) {
	var out, errb bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := Do(name, cmd.Start); err != nil {
		return nil, err
	}
	if err := cmd.Wait(); err != nil {
		lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
		return nil, fmt.Errorf("%s in netns %s: %w: %s", strings.Join(argv, " "), name, err, lines[len(lines)-1])
	}
	return out.Bytes(), nil
}
