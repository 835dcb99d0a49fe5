package loadgen

import (
	"context"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows a run's advance: a live bar on a terminal (Config.Progress)
// and one line per finished window for logs (Config.Log). Either may be nil.
type progress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	label atomic.Pointer[string]
	log   io.Writer
}

func newProgress(ctx context.Context, bar, log io.Writer, total int64) *progress {
	pr := &progress{log: log}
	empty := ""
	pr.label.Store(&empty)
	if bar == nil {
		return pr
	}
	pr.p = mpb.NewWithContext(ctx, mpb.WithOutput(bar), mpb.WithWidth(30))
	pr.bar = pr.p.AddBar(total,
		mpb.PrependDecorators(
			decor.Any(func(decor.Statistics) string { return *pr.label.Load() }, decor.WCSyncSpaceR),
			decor.CountersNoUnit("%d/%d requests", decor.WCSyncSpace),
		),
		mpb.AppendDecorators(
			decor.Percentage(decor.WCSyncSpace),
			decor.Name(" ETA "),
			decor.AverageETA(decor.ET_STYLE_GO),
		),
	)
	return pr
}

// window names the window now running, e.g. "round 1/3 size 1k".
func (pr *progress) window(label string) { pr.label.Store(&label) }

// hit counts one finished request.
func (pr *progress) hit() {
	if pr.bar != nil {
		pr.bar.Increment()
	}
}

// logf writes one line to the log.
func (pr *progress) logf(format string, a ...any) {
	if pr.log != nil {
		fmt.Fprintf(pr.log, format+"\n", a...)
	}
}

// close removes the bar (complete or not) and waits for the last render.
func (pr *progress) close() {
	if pr.p == nil {
		return
	}
	if !pr.bar.Completed() {
		pr.bar.Abort(false)
	}
	pr.p.Wait()
}
