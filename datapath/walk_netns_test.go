package datapath_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"testing"

	"github.com/meshbench/meshbench/datapath"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// netnsNode is a network namespace of the test's own, read like a lab node.
type netnsNode struct{ ns string }

func (n netnsNode) Name() string { return n.ns }
func (n netnsNode) Run(ctx context.Context, argv ...string) ([]byte, error) {
	return nsnet.Output(ctx, n.ns, argv...)
}

func requireRoot(t *testing.T) {
	t.Helper()
	why := ""
	switch {
	case os.Geteuid() != 0:
		why = "needs root (network namespaces and iptables)"
	default:
		if _, err := exec.LookPath("iptables-save"); err != nil {
			why = "iptables missing: apt-get install iptables"
		}
	}
	if why == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("CI=true: " + why)
	}
	t.Skip(why)
}

// pair makes a client and a server namespace joined by a veth pair.
func pair(t *testing.T) (client, server string) {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	client, server = "mbtest-dpc-"+id, "mbtest-dps-"+id
	for _, ns := range []string{client, server} {
		if err := nsnet.Create(ns); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nsnet.Delete(ns) })
	}
	if err := nsnet.Veth(client, "eth0", server, "eth0", 1500); err != nil {
		t.Fatal(err)
	}
	for ns, addr := range map[string]string{client: "192.0.2.1/24", server: "192.0.2.2/24"} {
		if err := nsnet.Address(ns, "eth0", netip.MustParsePrefix(addr)); err != nil {
			t.Fatal(err)
		}
	}
	return client, server
}

// exchange opens one connection from the client namespace to the test
// server, sends a byte and reads the echo.
func exchange(t *testing.T, client string) {
	t.Helper()
	err := nsnet.Do(client, func() error {
		c, err := net.Dial("tcp", "192.0.2.2:8080")
		if err != nil {
			return err
		}
		defer c.Close()
		if _, err := c.Write([]byte{1}); err != nil {
			return err
		}
		_, err = io.ReadFull(c, make([]byte, 1))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// serveEcho listens in the server namespace on 192.0.2.2:8080 and echoes
// one byte per connection until the test ends.
func serveEcho(t *testing.T, server string) {
	t.Helper()
	var ln net.Listener
	if err := nsnet.Do(server, func() (err error) { ln, err = net.Listen("tcp", "192.0.2.2:8080"); return }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, io.LimitReader(c, 1)) }()
		}
	}()
}

// A chain shaped like a policy engine's per-pod chain: established packets
// accepted first, then decoys rules no packet matches, then a jump to a
// chain that accepts. Every new connection's first packet is checked
// against all of them, every other packet against the first rule only, and
// the walk must find exactly that from the real kernel's counters.
func TestWalkCountsTheRulesEveryPacketIsCheckedAgainst(t *testing.T) {
	requireRoot(t)
	client, server := pair(t)
	const decoys, conns = 40, 30
	ipt := func(args ...string) {
		t.Helper()
		if out, err := nsnet.Output(context.Background(), server, append([]string{"iptables", "-w"}, args...)...); err != nil {
			t.Fatalf("iptables %v: %v %s", args, err, out)
		}
	}
	ipt("-N", "MBT-POD")
	ipt("-N", "MBT-ALLOW")
	ipt("-A", "INPUT", "-i", "eth0", "-j", "MBT-POD")
	ipt("-A", "MBT-POD", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT")
	for i := range decoys {
		ipt("-A", "MBT-POD", "-p", "tcp", "--dport", fmt.Sprint(10000+i), "-m", "comment", "--comment", fmt.Sprintf("decoy %d \"quoted\"", i), "-j", "ACCEPT")
	}
	ipt("-A", "MBT-POD", "-p", "tcp", "--dport", "8080", "-j", "MBT-ALLOW")
	ipt("-A", "MBT-POD", "-j", "DROP")
	ipt("-A", "MBT-ALLOW", "-j", "ACCEPT")

	serveEcho(t, server)
	node := netnsNode{server}
	ctx := context.Background()
	before, err := datapath.Take(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	connect := func(n int) {
		t.Helper()
		for range n {
			exchange(t, client)
		}
	}
	var acc datapath.Accumulator
	acc.Add(before.Rules)
	connect(2 * conns / 3)
	// Read mid-window, then restart every counter (iptables -Z, what an
	// engine that rewrites its chains does to them): the accumulated
	// figures must neither lose the first part nor count it twice. The
	// second part is the smaller, so the restart shows as counters going
	// down at the next read, as it does when reads come often.
	mid, err := datapath.Take(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	acc.Add(mid.Rules)
	ipt("-Z")
	connect(conns - 2*conns/3)
	after, err := datapath.Take(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	acc.Add(after.Rules)
	w := datapath.WalkEpochs(acc.Epochs(), "filter")
	pod, allow := w.Chains["MBT-POD"], w.Chains["MBT-ALLOW"]
	// The new connections' first packets walk past the established rule and
	// every decoy to the jump: decoys+2 checks each; the rest stop at rule 1.
	want := pod.Entered + conns*(decoys+1)
	t.Logf("MBT-POD entered %.0f times, %.0f rule checks (want %.0f); MBT-ALLOW entered %.0f", pod.Entered, pod.Evaluations, want, allow.Entered)
	if pod.Entered < 2*conns || pod.Evaluations != want {
		t.Errorf("MBT-POD: entered %.0f, %.0f checks; want at least %d entries and %.0f checks", pod.Entered, pod.Evaluations, 2*conns, want)
	}
	if allow.Entered != conns || allow.Evaluations != conns {
		t.Errorf("MBT-ALLOW: entered %.0f, %.0f checks; want %d of each (one per new connection)", allow.Entered, allow.Evaluations, conns)
	}
	if in := w.Chains["INPUT"]; in.Entered < pod.Entered {
		t.Errorf("INPUT entered %.0f times, fewer than the chain it jumps to (%.0f)", in.Entered, pod.Entered)
	}
	if acc.Changed == 0 {
		t.Errorf("the restore restarted every counter, yet no rule counted as changed")
	}
	if n := after.Rules.RuleCount(func(c string) bool { return c == "MBT-POD" }); n != decoys+3 {
		t.Errorf("MBT-POD holds %d rules, want %d", n, decoys+3)
	}
	d := datapath.Window(server, before, after, acc.Epochs(), acc.Changed, "", conns, conns)
	if d.CPU == nil || d.Load == nil || d.Load.CPUs < 1 {
		t.Errorf("window CPU %+v load %+v: want the node's CPU and load", d.CPU, d.Load)
	}
}
