package labtest

import (
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The machine has one lab (its ports are fixed), but `go test ./...` runs
// packages in parallel processes: each package holds this lock while it uses
// the lab, so packages take turns instead of tearing down each other's lab.
var lockFile *os.File

const lockPath = "/run/meshbench-lab.lock"

// lock takes the machine-wide lab lock, waiting for other test processes;
// it is held until the process exits or unlock is called.
func lock(t testing.TB) {
	t.Helper()
	if lockFile != nil {
		return
	}
	path := lockPath
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatalf("lab lock: %v", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		fmt.Fprintf(os.Stderr, "labtest: waiting for another test process to finish with the lab (%s)\n", path)
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			f.Close()
			t.Fatalf("lab lock: %v", err)
		}
	}
	lockFile = f
}

// unlock releases the lab lock.
func unlock() {
	if lockFile != nil {
		_ = unix.Flock(int(lockFile.Fd()), unix.LOCK_UN)
		lockFile.Close()
		lockFile = nil
	}
}

// Lock takes the machine-wide lab lock for a test or benchmark that runs a
// lab of its own rather than through Up, and releases it when that test ends
// (after cleanups registered later, such as the lab's down). A lock this
// process already holds is left to its holder.
func Lock(t testing.TB) {
	t.Helper()
	if lockFile != nil {
		return
	}
	lock(t)
	t.Cleanup(unlock)
}
