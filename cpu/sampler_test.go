package cpu

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// burnEnv makes the test binary a child that burns a known amount of CPU.
const burnEnv = "MESHBENCH_TEST_BURN_CPU"

func TestMain(m *testing.M) {
	if v := os.Getenv(burnEnv); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			os.Exit(3)
		}
		burn(d)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// burn waits for a byte on stdin (so the parent can place it in a cgroup
// first), then spins on one locked thread until the process has used d of
// CPU time: a known amount of work whatever else the machine runs.
func burn(d time.Duration) {
	var b [1]byte
	os.Stdin.Read(b[:])
	runtime.LockOSThread()
	for {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		used := time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		if used >= d {
			return
		}
		x := 0
		for i := range 1_000_000 {
			x += i
		}
		_ = x
	}
}

// needRoot skips where the test cannot run, but fails under CI, where every
// test must run.
func needRoot(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("cannot run in CI: %s", why)
	}
	t.Skip(why)
}

// testCgroup creates a cgroup of the test's own and removes it at the end.
func testCgroup(t *testing.T) (dir, procsFile string) {
	t.Helper()
	if os.Geteuid() != 0 {
		needRoot(t, "creating a cgroup needs root")
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	v2, v1 := cgroupMounts(mi)
	name := fmt.Sprintf("meshbench-test-%d", os.Getpid())
	switch {
	case v2.dir != "":
		dir, procsFile = filepath.Join(v2.dir, name), "cgroup.procs"
	case v1.dir != "":
		dir, procsFile = filepath.Join(v1.dir, name), "tasks"
	default:
		needRoot(t, "no cgroup hierarchy with CPU accounting is mounted")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		needRoot(t, "cannot create a cgroup: "+err.Error())
	}
	t.Cleanup(func() {
		// The cgroup can be removed once its processes have exited.
		for i := 0; i < 50; i++ {
			if os.Remove(dir) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Errorf("could not remove test cgroup %s", dir)
	})
	return dir, procsFile
}

// A child process burns 2 s of CPU on one thread in a cgroup of its own:
// the cgroup's figures show that work within ±15%, in user time, and the
// node-wide user time holds at least that much.
func TestSamplerSeesABurningCore(t *testing.T) {
	const work = 2 * time.Second
	dir, procs := testCgroup(t)
	child := exec.Command(os.Args[0], "-test.run=^$")
	child.Env = append(os.Environ(), burnEnv+"="+work.String())
	go1, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	if err := os.WriteFile(filepath.Join(dir, procs), []byte(strconv.Itoa(child.Process.Pid)), 0o644); err != nil {
		t.Fatalf("moving the child into %s: %v", dir, err)
	}
	s, err := Start(context.Background(), Options{Cgroup: dir, Interval: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	go1.Write([]byte{1})
	go1.Close()
	if err := child.Wait(); err != nil {
		t.Fatalf("burning child: %v", err)
	}
	c := s.Stop()
	sec := c.Duration.Seconds()
	t.Logf("window %v: cgroup %.2f cores (user %.2f); node user %.2f system %.2f softirq %.2f steal %.2f idle %.2f of %d CPUs",
		c.Duration, c.Cgroup, c.CgroupUser, c.User, c.System, c.Softirq, c.Steal, c.Idle, c.CPUs)
	within := func(what string, got, want float64) {
		if got < want*0.85 || got > want*1.15 {
			t.Errorf("%s: %.2f CPU-seconds, want %.2f ± 15%%", what, got, want)
		}
	}
	within("cgroup usage", c.Cgroup*sec, work.Seconds())
	within("cgroup user", c.CgroupUser*sec, work.Seconds())
	if node := (c.User + c.Nice) * sec; node < 0.85*work.Seconds() {
		t.Errorf("node-wide user %.2f CPU-seconds, less than the child's %v alone", node, work)
	}
	if c.CgroupPath != dir {
		t.Errorf("cgroup path %q, want %q", c.CgroupPath, dir)
	}
	if len(c.Samples) < 3 {
		t.Errorf("%d samples over %v at 0.5 s, want at least 3", len(c.Samples), c.Duration)
	}
	var fromSamples float64
	for _, x := range c.Samples {
		fromSamples += x.Cgroup * x.Duration.Seconds()
	}
	if d := fromSamples - c.Cgroup*sec; d > 0.01 || d < -0.01 {
		t.Errorf("samples add up to %.3f CPU-seconds, the total says %.3f", fromSamples, c.Cgroup*sec)
	}
}

// Loopback traffic is the kernel's softirq work; it shows in its own column.
func TestSamplerSoftirqColumn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		io.Copy(io.Discard, c)
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{Cgroup: "-"})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 128<<10)
	c.SetWriteDeadline(time.Now().Add(1500 * time.Millisecond))
	for {
		if _, err := c.Write(buf); err != nil {
			break
		}
	}
	c.Close()
	fig := s.Stop()
	t.Logf("softirq %.3f, system %.3f, user %.3f cores", fig.Softirq, fig.System, fig.User)
	if fig.Softirq <= 0 {
		t.Errorf("softirq %.3f cores during 1.5 s of loopback traffic, want > 0", fig.Softirq)
	}
	if fig.CgroupPath != "" || fig.Cgroup != 0 {
		t.Errorf("cgroup figures %q %.2f although --cgroup - asked for none", fig.CgroupPath, fig.Cgroup)
	}
}

// Each /proc/stat column lands in its own field, in cores.
func TestBetweenMapsEveryColumn(t *testing.T) {
	a, _, err := parseProcStat([]byte("cpu  100 200 300 400 500 600 700 800 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, cpus, err := parseProcStat([]byte("cpu  200 400 600 800 1000 1200 1400 1600 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\ncpu1 1 2 3 4 5 6 7 8 0 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cpus != 2 {
		t.Errorf("%d CPUs, want 2", cpus)
	}
	now := time.Now()
	snap := func(at time.Time, p procTimes) Snapshot {
		return Snapshot{At: at, Ticks: [8]uint64{p.user, p.nice, p.system, p.idle, p.iowait, p.irq, p.softirq, p.steal}}
	}
	c := Between(snap(now, a), snap(now.Add(2*time.Second), b))
	got := []float64{c.User, c.Nice, c.System, c.Idle, c.IOWait, c.IRQ, c.Softirq, c.Steal}
	for i, want := range []float64{0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4} {
		if got[i] != want {
			t.Errorf("column %d: %.2f cores, want %.2f", i+1, got[i], want)
		}
	}
	if _, _, err := parseProcStat([]byte("intr 1 2 3\n")); err == nil {
		t.Error("a /proc/stat without a cpu line was accepted")
	}
}

func TestOwnCgroup(t *testing.T) {
	mi := []byte("41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n" +
		"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n" +
		"50 31 0:40 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n")
	exists := func(p string) bool { return true }
	got, err := ownCgroup([]byte("2:cpuacct:/a\n0::/kubepods/pod1/c1\n"), mi, exists)
	if err != nil || got != "/sys/fs/cgroup/unified/kubepods/pod1/c1" {
		t.Errorf("v2: %q, %v", got, err)
	}
	onlyV1 := func(p string) bool { return filepath.Base(p) == "cpuacct.usage" }
	got, err = ownCgroup([]byte("2:cpu,cpuacct:/a\n0::/\n"), mi, onlyV1)
	if err != nil || got != "/sys/fs/cgroup/cpuacct/a" {
		t.Errorf("v1 fallback: %q, %v", got, err)
	}
	// A container that mounts only its own subtree.
	got, err = ownCgroup([]byte("0::/kubepods/pod1/c1\n"), mi[len(mi)-len("50 31 0:40 /kubepods/pod1 /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"):], exists)
	if err != nil || got != "/sys/fs/cgroup/c1" {
		t.Errorf("subtree mount: %q, %v", got, err)
	}
	if dir, err := OwnCgroup(); err == nil {
		if _, err := readCgroup(dir); err != nil {
			t.Errorf("own cgroup %s: %v", dir, err)
		}
	}
}
