package nsnet

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Processes lists the live processes whose network namespace is the named
// one, whoever started them.
func Processes(name string) []int {
	var want syscall.Stat_t
	if err := syscall.Stat(Path(name), &want); err != nil {
		return nil
	}
	return pidsIn(want.Dev, want.Ino)
}

// KillProcesses SIGKILLs every process in the named namespace and waits up to
// 5 s for them to go. It returns how many it signalled.
func KillProcesses(name string) int {
	var want syscall.Stat_t
	if err := syscall.Stat(Path(name), &want); err != nil {
		return 0
	}
	killed := 0
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := pidsIn(want.Dev, want.Ino)
		if len(pids) == 0 || time.Now().After(deadline) {
			return killed
		}
		for _, pid := range pids {
			if syscall.Kill(pid, syscall.SIGKILL) == nil {
				killed++
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// pidsIn lists the processes whose /proc/<pid>/ns/net is the file with this
// device and inode (this process excluded: it may be visiting).
func pidsIn(dev, ino uint64) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	self := os.Getpid()
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st syscall.Stat_t
		if syscall.Stat(filepath.Join("/proc", e.Name(), "ns", "net"), &st) != nil {
			continue
		}
		if st.Dev == dev && st.Ino == ino && !zombie(pid) {
			pids = append(pids, pid)
		}
	}
	return pids
}

// zombie is true for a process that has ended but not been reaped; it holds
// no namespace any more and cannot be killed again.
func zombie(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses, which may itself
	// hold spaces or parentheses: look after the last ')'.
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == ')' {
			return i+2 < len(b) && (b[i+2] == 'Z' || b[i+2] == 'X')
		}
	}
	return false
}

// Inode is the inode of a named namespace's file: the same namespace keeps
// it for its life, a recreated one gets another.
func Inode(name string) (uint64, error) {
	var st syscall.Stat_t
	if err := syscall.Stat(Path(name), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
