package lab

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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

// exited returns an error naming the first started component that is gone:
// every pid file under the state directory names one started so far.
func (w *watcher) exited() error {
	var gone error
	_ = filepath.WalkDir(w.l.pidDir(), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || gone != nil {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil || alive(pid) {
			return nil
		}
		rel, _ := filepath.Rel(w.l.pidDir(), path)
		id := strings.TrimSuffix(rel, ".pid")
		gone = fmt.Errorf("%s exited; the end of %s:\n%s", id, w.l.log(id), tail(w.l.log(id), 15))
		return nil
	})
	return gone
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
