package cpu

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// cgroupUsage is a cgroup's cumulative CPU time.
type cgroupUsage struct {
	usage, user, system time.Duration
}

// OwnCgroup returns the cgroup directory of this process that has CPU
// accounting: the cgroup v2 directory when its cpu.stat exists, else the
// cgroup v1 cpuacct directory. In a pod that is the pod's container.
func OwnCgroup() (string, error) {
	cg, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return "", err
	}
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	return ownCgroup(cg, mi, func(p string) bool { _, err := os.Stat(p); return err == nil })
}

func ownCgroup(procCgroup, mountinfo []byte, exists func(string) bool) (string, error) {
	var v2Path, v1Path string
	sc := bufio.NewScanner(bytes.NewReader(procCgroup))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		if parts[0] == "0" && parts[1] == "" {
			v2Path = parts[2]
		}
		for _, c := range strings.Split(parts[1], ",") {
			if c == "cpuacct" {
				v1Path = parts[2]
			}
		}
	}
	v2Mount, v1Mount := cgroupMounts(mountinfo)
	if v2Path != "" && v2Mount.dir != "" {
		dir := v2Mount.join(v2Path)
		if exists(filepath.Join(dir, "cpu.stat")) {
			return dir, nil
		}
	}
	if v1Path != "" && v1Mount.dir != "" {
		dir := v1Mount.join(v1Path)
		if exists(filepath.Join(dir, "cpuacct.usage")) {
			return dir, nil
		}
	}
	return "", errors.New("no cgroup with CPU accounting found for this process")
}

// cgroupMount is where a cgroup hierarchy is mounted and which of its
// cgroups is the mount's root.
type cgroupMount struct{ dir, root string }

// join maps a path from /proc/self/cgroup to a directory: a container may
// mount only its own subtree, whose root the path then starts with.
func (m cgroupMount) join(p string) string {
	if m.root != "/" {
		if rel, ok := strings.CutPrefix(p, m.root); ok {
			p = rel
		}
	}
	return filepath.Join(m.dir, p)
}

// cgroupMounts finds the cgroup2 mount and the cgroup v1 mount carrying cpuacct.
func cgroupMounts(mountinfo []byte) (v2, v1cpuacct cgroupMount) {
	sc := bufio.NewScanner(bytes.NewReader(mountinfo))
	for sc.Scan() {
		// ID parent major:minor root mountpoint options [optional...] - fstype source superoptions
		f := strings.Fields(sc.Text())
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || sep+1 >= len(f) {
			continue
		}
		fstype, m := f[sep+1], cgroupMount{dir: f[4], root: f[3]}
		switch fstype {
		case "cgroup2":
			if v2.dir == "" {
				v2 = m
			}
		case "cgroup":
			if sep+3 < len(f) {
				for _, o := range strings.Split(f[sep+3], ",") {
					if o == "cpuacct" && v1cpuacct.dir == "" {
						v1cpuacct = m
					}
				}
			}
		}
	}
	return v2, v1cpuacct
}

// CheckCgroup reports whether dir is a cgroup whose CPU can be read.
func CheckCgroup(dir string) error {
	_, err := readCgroup(dir)
	return err
}

// readCgroup reads a cgroup's cumulative CPU time from cgroup v2's cpu.stat
// (usage_usec, user_usec, system_usec) or cgroup v1's cpuacct.usage (ns).
func readCgroup(dir string) (cgroupUsage, error) {
	if b, err := os.ReadFile(filepath.Join(dir, "cpu.stat")); err == nil {
		return parseCPUStat(b)
	}
	b, err := os.ReadFile(filepath.Join(dir, "cpuacct.usage"))
	if err != nil {
		return cgroupUsage{}, fmt.Errorf("cgroup %s: neither cpu.stat nor cpuacct.usage is readable", dir)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return cgroupUsage{}, fmt.Errorf("cgroup %s: cpuacct.usage: %v", dir, err)
	}
	u := cgroupUsage{usage: time.Duration(ns)}
	if b, err := os.ReadFile(filepath.Join(dir, "cpuacct.stat")); err == nil {
		// "user N" and "system N" in USER_HZ ticks.
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) != 2 {
				continue
			}
			n, _ := strconv.ParseInt(f[1], 10, 64)
			d := time.Duration(n) * time.Second / userHZ
			switch f[0] {
			case "user":
				u.user = d
			case "system":
				u.system = d
			}
		}
	}
	return u, nil
}

func parseCPUStat(b []byte) (cgroupUsage, error) {
	var u cgroupUsage
	found := false
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		d := time.Duration(n) * time.Microsecond
		switch f[0] {
		case "usage_usec":
			u.usage, found = d, true
		case "user_usec":
			u.user = d
		case "system_usec":
			u.system = d
		}
	}
	if !found {
		return cgroupUsage{}, errors.New("cpu.stat has no usage_usec")
	}
	return u, nil
}
