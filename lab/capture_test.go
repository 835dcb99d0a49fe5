package lab_test

import (
	"bytes"
	"encoding/binary"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// capture records every frame crossing the lab's underlay, through an
// AF_PACKET socket bound to every interface of the underlay namespace (the
// bridge's ports: frames the bridge forwards between ports never show on the
// bridge device itself), as tcpdump -i any there would, until stop is
// called. A frame shows once per port it crosses.
type capture struct {
	fd     int
	mu     sync.Mutex
	frames [][]byte
	done   chan struct{}
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

func startCapture(t *testing.T) *capture {
	t.Helper()
	c := &capture{fd: -1, done: make(chan struct{})}
	err := nsnet.Do(lab.UnderlayNetns, func() error {
		if _, err := net.InterfaceByName(lab.UnderlayBridge); err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, int(htons(unix.ETH_P_ALL)))
		if err != nil {
			return err
		}
		if err := unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(unix.ETH_P_ALL), Ifindex: 0}); err != nil {
			unix.Close(fd)
			return err
		}
		c.fd = fd
		return nil
	})
	if err != nil {
		t.Fatalf("capturing on %s: %v", lab.UnderlayBridge, err)
	}
	tv := unix.NsecToTimeval((100 * time.Millisecond).Nanoseconds())
	if err := unix.SetsockoptTimeval(c.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		buf := make([]byte, 65536)
		for {
			select {
			case <-c.done:
				return
			default:
			}
			n, _, err := unix.Recvfrom(c.fd, buf, 0)
			if err != nil {
				continue
			}
			c.mu.Lock()
			c.frames = append(c.frames, append([]byte(nil), buf[:n]...))
			c.mu.Unlock()
		}
	}()
	t.Cleanup(func() { c.stop(); <-stopped; unix.Close(c.fd) })
	return c
}

func (c *capture) stop() {
	select {
	case <-c.done:
	default:
		close(c.done)
	}
}

// snapshot returns the frames captured so far.
func (c *capture) snapshot() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.frames...)
}

// contains reports how many captured frames hold b anywhere.
func containing(frames [][]byte, b []byte) int {
	n := 0
	for _, f := range frames {
		if bytes.Contains(f, b) {
			n++
		}
	}
	return n
}

// udpTo counts the IPv4 UDP frames to port (untagged Ethernet).
func udpTo(frames [][]byte, port uint16) int {
	n := 0
	for _, f := range frames {
		if len(f) < 14+20+8 || binary.BigEndian.Uint16(f[12:14]) != 0x0800 {
			continue
		}
		ip := f[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != unix.IPPROTO_UDP || len(ip) < ihl+8 {
			continue
		}
		if binary.BigEndian.Uint16(ip[ihl+2:ihl+4]) == port {
			n++
		}
	}
	return n
}

// tcpTo counts the IPv4 TCP frames to port: pod traffic seen bare on the
// underlay.
func tcpTo(frames [][]byte, port uint16) int {
	n := 0
	for _, f := range frames {
		if len(f) < 14+20+20 || binary.BigEndian.Uint16(f[12:14]) != 0x0800 {
			continue
		}
		ip := f[14:]
		ihl := int(ip[0]&0x0f) * 4
		if ip[9] != unix.IPPROTO_TCP || len(ip) < ihl+4 {
			continue
		}
		if binary.BigEndian.Uint16(ip[ihl+2:ihl+4]) == port {
			n++
		}
	}
	return n
}
