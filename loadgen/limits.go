package loadgen

import (
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/sys/unix"
)

// Every sample is kept exactly (8 bytes in memory) and written to a JSON
// document (up to about 20 bytes each while it is encoded), so a count of
// requests or round trips decides the memory a run needs. bytesPerSample
// is that cost with room to spare; memoryShare is the part of the
// machine's memory the samples may take, leaving the rest to the process
// and the machine.
const (
	bytesPerSample = 32
	memoryShare    = 2
)

// memory is the memory this process may use: the machine's, or less when a
// cgroup (a pod's limit) says so.
var memory = sync.OnceValue(func() uint64 {
	var si unix.Sysinfo_t
	total := uint64(8 << 30) // a guess when the kernel will not say
	if unix.Sysinfo(&si) == nil && si.Totalram > 0 {
		total = uint64(si.Totalram) * uint64(si.Unit)
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/memory.max"); err == nil {
		if n, err := strconv.ParseUint(strings.TrimSpace(string(b)), 10, 64); err == nil && n > 0 && n < total {
			total = n
		}
	}
	return total
})

// MaxSamples is the most samples per cell that cells cells can keep on this
// machine: together they take at most half of its memory.
func MaxSamples(cells int) int {
	cells = max(cells, 1)
	n := memory() / memoryShare / bytesPerSample / uint64(cells)
	return int(min(n, math.MaxInt32))
}

// SampleLimit says MaxSamples(cells) and why, for messages.
func SampleLimit(cells int) string {
	return fmt.Sprintf("at most %d on this machine (every sample is kept: %d cell(s) of %d bytes a sample must fit in half of its %s of memory)",
		MaxSamples(cells), max(cells, 1), bytesPerSample, formatBytes(memory()))
}

// formatBytes writes n in GiB or MiB for messages.
func formatBytes(n uint64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%d MiB", n>>20)
}
