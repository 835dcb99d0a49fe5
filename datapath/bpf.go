package datapath

import (
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/results"
)

// InNetns is what a Node offers when Go code can run in its network
// namespace: reading the BPF programs attached to a pod's interface needs
// the namespace's interface index.
type InNetns interface {
	Do(fn func() error) error
}

// EnableBPFStats has the kernel count every BPF program's runs and run time
// until the returned closer is closed. It holds a BPF_ENABLE_STATS
// descriptor rather than writing kernel.bpf_stats_enabled: the kernel stops
// counting when the descriptor closes, also when the process is killed, so
// there is no sysctl to put back.
func EnableBPFStats() (io.Closer, error) {
	c, err := ebpf.EnableStats(uint32(unix.BPF_STATS_RUN_TIME))
	if err != nil {
		return nil, fmt.Errorf("enable BPF run statistics: %w", err)
	}
	return c, nil
}

// BPFRuns are the runs of a set of programs.
type BPFRuns struct {
	Programs int
	RunCount uint64
	Runtime  time.Duration
}

// PodLinks is what a Node offers when it can tell a pod's interface on the
// node (the host side of its veth) from the pod's address: routes do not
// always say it (Cilium routes every pod through cilium_host).
type PodLinks interface {
	PodInterface(ip net.IP) (ifindex int, err error)
}

// ProgramsOnRouteTo finds the interface the node routes ip through (a
// pod's host-side veth where pods have routes of their own) and the
// programs attached to it. It must run inside the node's namespace.
func ProgramsOnRouteTo(ip net.IP) (iface string, ids []ebpf.ProgramID, err error) {
	routes, err := netlink.RouteGet(ip)
	if err != nil || len(routes) == 0 {
		return "", nil, fmt.Errorf("route to %s: %v", ip, err)
	}
	return ProgramsOn(routes[0].LinkIndex)
}

// ProgramsOn lists the programs tcx attaches to the interface ifindex,
// ingress and egress. It must run inside the interface's namespace.
func ProgramsOn(ifindex int) (iface string, ids []ebpf.ProgramID, err error) {
	l, err := netlink.LinkByIndex(ifindex)
	if err != nil {
		return "", nil, fmt.Errorf("interface %d: %w", ifindex, err)
	}
	iface = l.Attrs().Name
	for _, at := range []ebpf.AttachType{ebpf.AttachTCXIngress, ebpf.AttachTCXEgress} {
		res, err := link.QueryPrograms(link.QueryOptions{Target: ifindex, Attach: at})
		if err != nil {
			return iface, nil, fmt.Errorf("programs on %s: %w", iface, err)
		}
		for _, p := range res.Programs {
			ids = append(ids, p.ID)
		}
	}
	return iface, ids, nil
}

// ReadRuns adds up the run statistics of the programs.
func ReadRuns(ids []ebpf.ProgramID) (BPFRuns, error) {
	var r BPFRuns
	var errs []error
	for _, id := range ids {
		p, err := ebpf.NewProgramFromID(id)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		s, err := p.Stats()
		p.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		r.Programs++
		r.RunCount += s.RunCount
		r.Runtime += s.Runtime
	}
	return r, errors.Join(errs...)
}

// bpfWindow follows the programs on one interface through a window, with
// the kernel's run statistics enabled for the window alone.
type bpfWindow struct {
	iface  string
	ids    []ebpf.ProgramID
	stats  io.Closer
	before BPFRuns
}

// openBPF starts following the programs on the interface routed to target;
// nil when there are none (an iptables engine), with a note when they
// could not be read.
func openBPF(ns InNetns, target net.IP, s *Snapshot) *bpfWindow {
	w := &bpfWindow{}
	find := func() (err error) { w.iface, w.ids, err = ProgramsOnRouteTo(target); return }
	if pl, ok := ns.(PodLinks); ok {
		if i, err := pl.PodInterface(target); err == nil {
			find = func() (err error) { w.iface, w.ids, err = ProgramsOn(i); return }
		}
	}
	if err := ns.Do(find); err != nil {
		s.Notes = append(s.Notes, "BPF programs not read: "+err.Error())
		return nil
	}
	if len(w.ids) == 0 {
		return nil
	}
	var err error
	if w.stats, err = EnableBPFStats(); err != nil {
		s.Notes = append(s.Notes, err.Error())
		return nil
	}
	if w.before, err = ReadRuns(w.ids); err != nil {
		s.Notes = append(s.Notes, "BPF run statistics: "+err.Error())
	}
	return w
}

// close reads the programs' runs and stops the kernel's counting.
func (w *bpfWindow) close(notes []string) (*results.BPFWork, []string) {
	defer w.stats.Close()
	after, err := ReadRuns(w.ids)
	if err != nil {
		notes = append(notes, "BPF run statistics: "+err.Error())
	}
	if after.RunCount < w.before.RunCount {
		return nil, append(notes, "BPF programs on "+w.iface+" were replaced during the window")
	}
	return &results.BPFWork{Interface: w.iface, Programs: after.Programs,
		RunCount: after.RunCount - w.before.RunCount, Runtime: after.Runtime - w.before.Runtime}, notes
}
