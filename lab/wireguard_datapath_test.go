package lab_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// Two namespaces of the test's own, joined by a veth, each running `meshbench
// lab wireguard` and configured as lab up configures the nodes (wgctrl, a
// peer each, the other's pod CIDR routed through the device): a TCP
// exchange between the two pod CIDRs arrives intact, and a capture on the
// veth finds WireGuard datagrams and none of the exchange's bytes. This needs
// no control plane, so it runs beside another lab.
func TestWireGuardDataPath(t *testing.T) {
	if os.Geteuid() != 0 {
		labtest.Unavailable(t, "WireGuard devices and network namespaces need root")
	}
	opts := labtest.Options(t, t.TempDir())
	nodes := []lab.Node{
		{Index: 91, Name: "mbwgt-91", IP: netip.MustParseAddr("10.251.0.91"), PodCIDR: netip.MustParsePrefix("10.244.91.0/24")},
		{Index: 92, Name: "mbwgt-92", IP: netip.MustParseAddr("10.251.0.92"), PodCIDR: netip.MustParsePrefix("10.244.92.0/24")},
	}
	for _, n := range nodes {
		if err := nsnet.Create(n.Netns()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = nsnet.Delete(n.Netns()) })
	}
	if err := nsnet.Veth(nodes[0].Netns(), "eth0", nodes[1].Netns(), "eth0", lab.MTU); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if err := nsnet.Address(n.Netns(), "eth0", netip.PrefixFrom(n.IP, 24)); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(opts.Meshbench, "lab", "wireguard", "--state-dir="+opts.StateDir,
			"--device="+lab.WireGuardDevice(n), "--mtu="+strconv.Itoa(lab.WireGuard.MTU()))
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := nsnet.Do(n.Netns(), cmd.Start); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Signal(unix.SIGTERM); _ = cmd.Wait() })
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := lab.ConfigureWireGuard(ctx, nodes); err != nil {
		t.Fatal(err)
	}

	// A server on node 92's tunnel address answers with the marker.
	marker := fmt.Sprintf("meshbench-plaintext-%d", time.Now().UnixNano())
	server := netip.AddrPortFrom(nodes[1].PodCIDR.Addr().Next(), 18080)
	var ln net.Listener
	if err := nsnet.Do(nodes[1].Netns(), func() (err error) { ln, err = net.Listen("tcp", server.String()); return err }); err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			buf := make([]byte, 64)
			n, _ := c.Read(buf)
			_, _ = c.Write(append(buf[:n], []byte(" "+marker)...))
			c.Close()
		}
	}()

	frames := captureOn(t, nodes[1].Netns(), "eth0", func() {
		var c net.Conn
		err := nsnet.Do(nodes[0].Netns(), func() (err error) {
			c, err = net.DialTimeout("tcp", server.String(), 5*time.Second)
			return err
		})
		if err != nil {
			t.Fatalf("dial %s through the tunnel: %v", server, err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("hello " + marker)); err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(c)
		if want := "hello " + marker + " " + marker; string(got) != want {
			t.Fatalf("through the tunnel: got %q, want %q", got, want)
		}
	})
	if n := udpTo(frames, lab.WireGuardPort); n == 0 {
		t.Errorf("no UDP datagram to the WireGuard port %d among %d frames", lab.WireGuardPort, len(frames))
	}
	if n := containing(frames, []byte(marker)); n > 0 {
		t.Errorf("%d frames on the link between the namespaces carry the exchange in plaintext", n)
	}
}

// captureOn records the frames on link in namespace ns while fn runs.
func captureOn(t *testing.T, ns, link string, fn func()) [][]byte {
	t.Helper()
	var fd int
	err := nsnet.Do(ns, func() error {
		ifi, err := net.InterfaceByName(link)
		if err != nil {
			return err
		}
		fd, err = unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: ifi.Index})
	})
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	tv := unix.NsecToTimeval((50 * time.Millisecond).Nanoseconds())
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	done := make(chan struct{})
	out := make(chan [][]byte)
	go func() {
		var frames [][]byte
		buf := make([]byte, 65536)
		for {
			select {
			case <-done:
				out <- frames
				return
			default:
			}
			n, _, err := unix.Recvfrom(fd, buf, 0)
			if err == nil {
				frames = append(frames, append([]byte(nil), buf[:n]...))
			}
		}
	}()
	fn()
	time.Sleep(200 * time.Millisecond)
	close(done)
	return <-out
}
