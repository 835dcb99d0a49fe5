package lab

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// A descriptor this process inherited without close-on-exec (a flock's
// lock file under `flock LOCK meshbench lab up`) does not pass on to the
// lab's components, which outlive the command and would hold the lock.
func TestComponentsDoNotInheritDescriptors(t *testing.T) {
	dir := t.TempDir()
	lockFile := filepath.Join(dir, "lock")
	fd, err := unix.Open(lockFile, unix.O_CREAT|unix.O_RDWR, 0o644) // no O_CLOEXEC, as flock(1) opens it
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	sleep, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if p, err := os.Stat("/bin/sleep"); err == nil && !p.IsDir() {
		sleep = "/bin/sleep"
	} else {
		t.Skip("no /bin/sleep")
	}
	pid, err := startDetached(layout(dir), component{name: "sleeper", path: sleep, args: []string{"30"}})
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	time.Sleep(200 * time.Millisecond)
	fds, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fds {
		target, _ := os.Readlink("/proc/" + strconv.Itoa(pid) + "/fd/" + f.Name())
		if target == lockFile {
			t.Fatalf("the component holds fd %s on %s", f.Name(), lockFile)
		}
	}
}
