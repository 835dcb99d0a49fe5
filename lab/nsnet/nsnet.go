// Package nsnet creates, enters and removes the lab's named network
// namespaces and the links between them, through netlink
// (github.com/vishvananda/netlink and netns) rather than exec'd iproute2.
//
// Named namespaces are bind mounts under /run/netns in the shared mount
// namespace, so a process inside one network namespace (a node's agent) can
// still create and enter others (its pods'). Every function takes a name and
// touches nothing else.
package nsnet

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Dir is where named network namespaces are mounted (as `ip netns` does).
const Dir = "/run/netns"

// Path is the file of a named network namespace, the CNI_NETNS of a pod.
func Path(name string) string { return filepath.Join(Dir, name) }

// Exists reports whether a named network namespace exists.
func Exists(name string) bool {
	_, err := os.Stat(Path(name))
	return err == nil
}

// List returns the names of every named network namespace that keep says
// to keep.
func List(keep func(string) bool) ([]string, error) {
	entries, err := os.ReadDir(Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if keep(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Create makes a named network namespace with its loopback up; an existing
// one is kept. The calling goroutine's thread is left where it was.
func Create(name string) error {
	if Exists(name) {
		return nil
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	h, err := netns.NewNamed(name) // switches this thread into it
	if err != nil {
		if rerr := netns.Set(orig); rerr != nil {
			panic(fmt.Sprintf("nsnet: cannot return to the original network namespace: %v", rerr))
		}
		return fmt.Errorf("create netns %s: %w", name, err)
	}
	defer h.Close()
	lo, lerr := netlink.LinkByName("lo")
	if lerr == nil {
		lerr = netlink.LinkSetUp(lo)
	}
	if err := netns.Set(orig); err != nil {
		panic(fmt.Sprintf("nsnet: cannot return to the original network namespace: %v", err))
	}
	if lerr != nil {
		return fmt.Errorf("netns %s: loopback up: %w", name, lerr)
	}
	return nil
}

// Delete kills every process left in the namespace (a live process keeps it,
// and its links, alive) and removes it. A namespace already gone is fine.
func Delete(name string) error {
	if !Exists(name) {
		return nil
	}
	KillProcesses(name)
	if err := netns.DeleteNamed(name); err != nil && Exists(name) {
		return fmt.Errorf("delete netns %s: %w", name, err)
	}
	return nil
}

// Do runs fn on an OS thread inside the named namespace; programs that fn
// starts with os/exec start there too (the child is forked from that
// thread). The thread returns to its own namespace afterwards.
func Do(name string, fn func() error) error {
	target, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("netns %s: %w", name, err)
	}
	defer target.Close()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return err
	}
	defer orig.Close()
	if err := netns.Set(target); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("enter netns %s: %w", name, err)
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		// The thread stays locked and dies with its goroutine rather than
		// run other code in the wrong namespace.
		return errors.Join(ferr, fmt.Errorf("leave netns %s: %w", name, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// Handle is a netlink handle inside the named namespace ("" is the caller's
// own). Close it when done.
func Handle(name string) (*netlink.Handle, error) {
	if name == "" {
		return netlink.NewHandle()
	}
	ns, err := netns.GetFromName(name)
	if err != nil {
		return nil, fmt.Errorf("netns %s: %w", name, err)
	}
	defer ns.Close()
	return netlink.NewHandleAt(ns)
}

// Sysctl writes /proc/sys/<key> (key with slashes, e.g.
// "net/ipv4/ip_forward") inside the named namespace, where network sysctls
// are per namespace.
func Sysctl(name, key, value string) error {
	return Do(name, func() error {
		return os.WriteFile(filepath.Join("/proc/sys", key), []byte(value), 0o644)
	})
}

// ReadSysctl reads /proc/sys/<key> inside the named namespace.
func ReadSysctl(name, key string) (string, error) {
	var v []byte
	err := Do(name, func() error {
		var err error
		v, err = os.ReadFile(filepath.Join("/proc/sys", key))
		return err
	})
	return string(v), err
}
