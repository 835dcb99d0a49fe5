package lab

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// removeCiliumObjects removes what a Cilium lab leaves on the host once its
// processes are gone and its namespaces (with every link, chain, route and
// attached program in them) are deleted: the nodes' bpffs mounts, whose
// pinned maps and programs go with them, and the runtime directory up
// created. It finds mounts by where they are, so it also cleans after a
// SIGKILL, and does nothing for a kube-router lab.
func removeCiliumObjects(o Options, l layout) error {
	var errs []error
	mounts, err := MountsUnder(l.dir())
	if err != nil {
		errs = append(errs, err)
	}
	for _, m := range mounts {
		o.step("unmounting %s", m)
		if err := unix.Unmount(m, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", m, err))
		}
	}
	if _, err := os.Stat(l.ciliumRuntimeMarker()); err == nil {
		// Only what up created: the directory, and cilium-cni's empty
		// deletion queue, if any.
		if err := os.RemoveAll(ciliumRuntimeDir); err != nil {
			errs = append(errs, err)
		} else if err := os.Remove(l.ciliumRuntimeMarker()); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// MountsUnder lists the mount points in this mount namespace at or below
// dir, deepest first (the order to unmount them in).
func MountsUnder(dir string) ([]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir = filepath.Clean(dir)
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 5 {
			continue
		}
		mp := unescapeMountPath(fields[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			out = append(out, mp)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out, sc.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var v int
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &v); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
