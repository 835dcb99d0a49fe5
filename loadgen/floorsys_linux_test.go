package loadgen

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"syscall"
	"time"
)

// floorSysPeer is the floor with blocking system calls: the thread sleeps in
// read(2) itself, as ab's does in epoll_wait, instead of a goroutine parked
// on Go's netpoller. Its gap to floorPeer is what any Go client pays here.
var floorSysPeer = peer{name: "floor-sys", note: "dial-write-read, blocking syscalls", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
	pu, _ := url.Parse(u)
	ap := netip.MustParseAddrPort(pu.Host)
	sa := &syscall.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}
	req := []byte("GET /?size=500 HTTP/1.1\r\nHost: " + pu.Host + "\r\nConnection: close\r\n\r\n")
	buf := make([]byte, 64<<10)
	out := make([]int64, 0, n)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := range n {
		if err := sleepUntil(ctx, start.Add(time.Duration(i+1)*interval)); err != nil {
			return peerRound{}, err
		}
		t0 := time.Now()
		fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
		if err != nil {
			return peerRound{}, err
		}
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		if err := syscall.Connect(fd, sa); err != nil {
			syscall.Close(fd)
			return peerRound{}, err
		}
		syscall.Write(fd, req)
		got := 0
		for {
			k, err := syscall.Read(fd, buf)
			if k <= 0 || err != nil {
				break
			}
			got += k
		}
		syscall.Close(fd)
		out = append(out, int64(time.Since(t0)))
		if got < 500 {
			return peerRound{}, fmt.Errorf("short: %d", got)
		}
	}
	return peerRound{samples: out}, nil
}}

func init() { referencePeers = append(referencePeers, floorSysPeer) }
