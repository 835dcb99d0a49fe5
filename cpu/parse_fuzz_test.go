package cpu

import (
	"strings"
	"testing"
)

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n"))
	f.Add([]byte("cpu 1 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Any input: no panic; an accepted one counts exactly its per-CPU
		// lines ("cpu0", "cpu1", ...) and has an aggregate "cpu" line.
		_, cpus, err := parseProcStat(b)
		if err != nil {
			return
		}
		want, aggregate := 0, false
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSuffix(line, "\r")
			if !strings.HasPrefix(line, "cpu") {
				continue
			}
			if f := strings.Fields(line); f[0] == "cpu" {
				aggregate = true
			} else {
				want++
			}
		}
		if cpus != want || !aggregate {
			t.Fatalf("%d CPUs from %d per-CPU lines (aggregate line: %v) in %q", cpus, want, aggregate, b)
		}
	})
}

func FuzzParseCPUStat(f *testing.F) {
	f.Add([]byte("usage_usec 10\nuser_usec 6\nsystem_usec 4\n"))
	f.Add([]byte("usage_usec x\n"))
	// Any input: no panic.
	f.Fuzz(func(t *testing.T, b []byte) { parseCPUStat(b) })
}
