package runner

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
)

// progress shows a long run on a terminal: which mesh and step is being
// measured and an ETA for the whole study. The client measures inside its
// pod, so the bar advances with the time each step is expected to take
// (requests ÷ rate) and jumps to the step's end when its client finishes.
type progress struct {
	p     *mpb.Progress
	bar   *mpb.Bar
	label atomic.Pointer[string]
	done  time.Duration // expected time of the steps already measured
}

// newProgress returns nil when w is nil: every method is a no-op then.
func newProgress(ctx context.Context, w io.Writer, total time.Duration) *progress {
	if w == nil {
		return nil
	}
	// Auto refresh: w is a terminal (run passes one only then) or a test's
	// buffer. On a terminal the line is the terminal's width; elsewhere wide
	// enough for the label, the bar, the percentage and the ETA.
	pr := &progress{p: mpb.NewWithContext(ctx, mpb.WithOutput(w), mpb.WithWidth(160), mpb.WithAutoRefresh())}
	empty := ""
	pr.label.Store(&empty)
	pr.bar = pr.p.AddBar(int64(total/time.Millisecond), mpb.BarWidth(30),
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { return *pr.label.Load() }, decor.WCSyncSpaceR)),
		mpb.AppendDecorators(decor.Percentage(decor.WCSyncSpace), decor.Name(" ETA "), decor.AverageETA(decor.ET_STYLE_GO)),
	)
	return pr
}

// writer is where progress lines go: above the bar while it runs.
func (pr *progress) writer(fallback io.Writer) io.Writer {
	if pr == nil {
		return fallback
	}
	return pr.p
}

// measuring advances the bar through a step of expected length labelled
// label until the returned function is called.
func (pr *progress) measuring(label string, expected time.Duration) (finished func()) {
	if pr == nil {
		return func() {}
	}
	pr.label.Store(&label)
	start, base := time.Now(), pr.done
	stop := make(chan struct{})
	go func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				pr.bar.SetCurrent(int64((base + min(time.Since(start), expected)) / time.Millisecond))
			}
		}
	}()
	return func() {
		close(stop)
		pr.done = base + expected
		pr.bar.SetCurrent(int64(pr.done / time.Millisecond))
	}
}

// close removes the bar and waits for its last render.
func (pr *progress) close() {
	if pr == nil {
		return
	}
	pr.bar.Abort(true)
	pr.p.Wait()
}
