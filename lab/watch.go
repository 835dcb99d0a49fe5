package lab

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// watcher waits for a condition while watching that every component started
// so far still runs, so a component that exits fails up at once with the end
// of its log instead of a timeout.
type watcher struct{ l layout }

func newWatcher(l layout) *watcher { return &watcher{l} }

func (w *watcher) until(ctx context.Context, what string, check func(context.Context) error) error {
	var last error
	for {
		if last = check(ctx); last == nil {
			return nil
		}
		if err := w.exited(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w (last: %v)", what, ctx.Err(), last)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// exited returns an error naming the first started component that is gone.
func (w *watcher) exited() error {
	for _, name := range componentOrder {
		b, err := os.ReadFile(w.l.pid(name))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || alive(pid) {
			continue
		}
		return fmt.Errorf("%s exited; the end of %s:\n%s", name, w.l.log(name), tail(w.l.log(name), 15))
	}
	return nil
}

// tail returns the last n lines of a file.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(b, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}
