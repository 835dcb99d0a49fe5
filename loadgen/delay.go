package loadgen

import (
	"runtime"
	"time"
)

// spinBelow is how much of a delay is busy-waited rather than slept. The Go
// timer wakes a sleeping goroutine tens of microseconds late under load, too
// coarse for the 20–100 µs delays that calibrate the pipeline, so the last
// stretch spins on the monotonic clock. Spinning yields the processor on
// every turn so a loaded machine still makes progress.
const spinBelow = 500 * time.Microsecond

// waitUntil returns at deadline or as soon after as the clock allows: it
// sleeps while more than spinBelow remains, then spins.
func waitUntil(deadline time.Time) {
	if left := time.Until(deadline); left > spinBelow {
		time.Sleep(left - spinBelow)
	}
	for time.Now().Before(deadline) {
		runtime.Gosched()
	}
}
