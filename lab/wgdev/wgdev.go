// Package wgdev runs a userspace WireGuard device (wireguard-go) on a TUN
// device in the calling process's network namespace. The kernel this lab
// runs on has no WireGuard module; wireguard-go implements the same protocol
// (Noise IK handshake, ChaCha20-Poly1305 data packets) in user space, so
// every packet crosses the TUN device and is sealed or opened by this
// process. The device is configured from outside through its UAPI socket,
// where wgctrl finds it, exactly as `wg` configures a kernel device.
package wgdev

import (
	"context"
	"errors"
	"fmt"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
)

// SocketDir is where wireguard-go puts a device's UAPI socket
// (<name>.sock) and wgctrl looks for it. The directory is shared by every
// network namespace (it is in the mount namespace), so device names must be
// unique across the lab's nodes.
const SocketDir = "/var/run/wireguard"

// Run creates the TUN device name with the given MTU, runs WireGuard on it
// and serves its UAPI socket until ctx ends or the device fails, then
// removes the device and the socket. The device starts without keys or
// peers: whoever configures it through wgctrl sets them.
func Run(ctx context.Context, name string, mtu int) error {
	t, err := tun.CreateTUN(name, mtu)
	if err != nil {
		return fmt.Errorf("TUN device %s: %w", name, err)
	}
	dev := device.NewDevice(t, conn.NewDefaultBind(), device.NewLogger(device.LogLevelError, "wireguard "+name+": "))
	defer dev.Close()
	f, err := ipc.UAPIOpen(name)
	if err != nil {
		return fmt.Errorf("UAPI socket of %s: %w", name, err)
	}
	uapi, err := ipc.UAPIListen(name, f)
	if err != nil {
		f.Close()
		return fmt.Errorf("UAPI socket of %s: %w", name, err)
	}
	defer uapi.Close()
	go func() {
		for {
			c, err := uapi.Accept()
			if err != nil {
				return
			}
			go dev.IpcHandle(c)
		}
	}()
	select {
	case <-ctx.Done():
		return nil
	case <-dev.Wait():
		return errors.New("wireguard device " + name + " closed")
	}
}
