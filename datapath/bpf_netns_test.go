package datapath_test

import (
	"net"
	"os"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"
	"github.com/vishvananda/netlink"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// A real BPF program attached by tcx to the server's interface runs once
// per packet in; with statistics enabled for the window its run count
// grows by at least the packets of the connections sent, its run time
// with it, and kernel.bpf_stats_enabled is left as it was.
func TestBPFRunsOfTheProgramsOnAPodsInterface(t *testing.T) {
	requireRoot(t)
	client, server := pair(t)
	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{
		Type: ebpf.SchedCLS, License: "GPL",
		Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, -1), asm.Return()}, // TCX_NEXT: leave the packet alone
	})
	if err != nil {
		t.Fatalf("load a BPF program: %v", err)
	}
	defer prog.Close()
	var l link.Link
	err = nsnet.Do(server, func() error {
		eth, err := netlink.LinkByName("eth0")
		if err != nil {
			return err
		}
		l, err = link.AttachTCX(link.TCXOptions{Interface: eth.Attrs().Index, Program: prog, Attach: ebpf.AttachTCXIngress})
		return err
	})
	if err != nil {
		t.Fatalf("attach by tcx: %v", err)
	}
	defer l.Close()

	serveEcho(t, server)

	sysctl, err := os.ReadFile("/proc/sys/kernel/bpf_stats_enabled")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := datapath.EnableBPFStats()
	if err != nil {
		t.Fatal(err)
	}
	var iface string
	var ids []ebpf.ProgramID
	// The client namespace routes 192.0.2.2 through its eth0; from the
	// server's side the client's address is on the server's eth0.
	if err := nsnet.Do(server, func() (err error) { iface, ids, err = datapath.ProgramsOnRouteTo(net.ParseIP("192.0.2.1")); return }); err != nil {
		t.Fatal(err)
	}
	if iface != "eth0" || len(ids) != 1 {
		t.Fatalf("route to the client through %q with programs %v; want eth0 with the one attached", iface, ids)
	}
	before, err := datapath.ReadRuns(ids)
	if err != nil {
		t.Fatal(err)
	}
	const conns = 20
	for range conns {
		exchange(t, client)
	}
	after, err := datapath.ReadRuns(ids)
	if err != nil {
		t.Fatal(err)
	}
	runs, took := after.RunCount-before.RunCount, after.Runtime-before.Runtime
	t.Logf("%d runs in %v for %d connections (%.0f ns per run)", runs, took, conns, float64(took)/float64(max(runs, 1)))
	if runs < 3*conns || took <= 0 {
		t.Errorf("%d runs, %v: want at least 3 per connection (SYN, ACK, data in) and some run time", runs, took)
	}
	if err := stats.Close(); err != nil {
		t.Fatal(err)
	}
	// The window never wrote the sysctl: there is nothing to restore. (Its
	// counting stops with the descriptor; another process holding one, a
	// parallel test run, keeps the kernel counting, so that is not checked.)
	if after, _ := os.ReadFile("/proc/sys/kernel/bpf_stats_enabled"); string(after) != string(sysctl) {
		t.Errorf("kernel.bpf_stats_enabled was %q before the window and %q after", sysctl, after)
	}
}
