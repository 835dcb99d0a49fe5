package loadgen

import (
	"runtime"
	"time"
)

// spinBelow is how much of a delay is busy-waited rather than slept. A
// sleeping goroutine wakes late: measured on a 2-core VM, time.Sleep of
// 50 µs–1.5 ms overshot by 0.6–1.1 ms (median), far too coarse for the
// 20–100 µs delays that calibrate the pipeline. So the last 2 ms spin on the
// monotonic clock; spinning yields the processor on every turn so a loaded
// machine still makes progress. Delays up to 2 ms cost their length in CPU.
const spinBelow = 2 * time.Millisecond

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
