package cpu

import "testing"

func FuzzParseProcStat(f *testing.F) {
	f.Add([]byte("cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1\n"))
	f.Add([]byte("cpu 1 2\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Any input: no panic; an accepted one has a per-CPU count that is
		// not more than its lines.
		_, cpus, err := parseProcStat(b)
		if err == nil && cpus > len(b) {
			t.Fatalf("%d CPUs from %d bytes", cpus, len(b))
		}
	})
}

func FuzzParseCPUStat(f *testing.F) {
	f.Add([]byte("usage_usec 10\nuser_usec 6\nsystem_usec 4\n"))
	f.Add([]byte("usage_usec x\n"))
	// Any input: no panic.
	f.Fuzz(func(t *testing.T, b []byte) { parseCPUStat(b) })
}
