package lab

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"golang.zx2c4.com/wireguard/wgctrl"
	"golang.zx2c4.com/wireguard/wgctrl/wgtypes"

	"github.com/meshbench/meshbench/lab/nsnet"
	"github.com/meshbench/meshbench/lab/wgdev"
)

// WireGuardPort is the UDP port every node's WireGuard device listens on
// (WireGuard's customary port).
const WireGuardPort = 51820

// wireguardDevicePrefix starts every node's WireGuard device name; the
// node's index follows, so the UAPI sockets of the nodes (one directory for
// every namespace) never collide.
const wireguardDevicePrefix = "mbwg"

// WireGuardDevice is node n's WireGuard device (inside its namespace).
func WireGuardDevice(n Node) string { return wireguardDevicePrefix + strconv.Itoa(n.Index) }

// tunnelAddr is the address node n's traffic leaves its WireGuard device
// with: the first of its pod CIDR, so the peer's allowed IPs (that pod CIDR)
// accept it and the answer comes back through the tunnel.
func tunnelAddr(n Node) netip.Addr { return n.PodCIDR.Addr().Next() }

// wireguardComponent runs node n's WireGuard device inside its namespace.
func wireguardComponent(l layout, o Options, n Node) component {
	return component{name: wireguardName, node: n.Name, netns: n.Netns(), path: o.Meshbench, args: []string{
		"lab", "wireguard",
		"--state-dir=" + l.dir(),
		"--node-name=" + n.Name,
		"--device=" + WireGuardDevice(n),
		"--mtu=" + strconv.Itoa(WireGuard.MTU()),
	}}
}

// configureWireGuard gives every node's device a fresh key pair, a peer for
// every other node (its public key, its underlay address as the endpoint, its
// pod CIDR as the allowed IPs) through wgctrl, then routes every other node's
// pod CIDR through the device. Keys are generated per `lab up` and live only
// in the devices.
func configureWireGuard(ctx context.Context, nodes []Node) error {
	for _, n := range nodes {
		sock := filepath.Join(wgdev.SocketDir, WireGuardDevice(n)+".sock")
		for {
			if _, err := os.Stat(sock); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("node %s: WireGuard device %s did not open %s: %w", n.Name, WireGuardDevice(n), sock, ctx.Err())
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	keys := make([]wgtypes.Key, len(nodes))
	for i := range nodes {
		k, err := wgtypes.GeneratePrivateKey()
		if err != nil {
			return err
		}
		keys[i] = k
	}
	c, err := wgctrl.New()
	if err != nil {
		return fmt.Errorf("wgctrl: %w", err)
	}
	defer c.Close()
	port := WireGuardPort
	for i, n := range nodes {
		var peers []wgtypes.PeerConfig
		for j, m := range nodes {
			if j == i {
				continue
			}
			peers = append(peers, wgtypes.PeerConfig{
				PublicKey:         keys[j].PublicKey(),
				Endpoint:          &net.UDPAddr{IP: m.IP.AsSlice(), Port: WireGuardPort},
				ReplaceAllowedIPs: true,
				AllowedIPs:        []net.IPNet{*ipNet(m.PodCIDR)},
			})
		}
		if err := c.ConfigureDevice(WireGuardDevice(n), wgtypes.Config{
			PrivateKey:   &keys[i],
			ListenPort:   &port,
			ReplacePeers: true,
			Peers:        peers,
		}); err != nil {
			return fmt.Errorf("node %s: configuring %s: %w", n.Name, WireGuardDevice(n), err)
		}
		dev := WireGuardDevice(n)
		if err := nsnet.Address(n.Netns(), dev, netip.PrefixFrom(tunnelAddr(n), 32)); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
		for _, m := range nodes {
			if m.Index == n.Index {
				continue
			}
			if err := nsnet.Route(n.Netns(), dev, m.PodCIDR, netip.Addr{}, tunnelAddr(n)); err != nil {
				return fmt.Errorf("node %s: %w", n.Name, err)
			}
		}
	}
	return nil
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// removeWireGuardSockets removes the UAPI sockets a killed device left
// behind (a device stopped by SIGTERM removes its own).
func removeWireGuardSockets() error {
	socks, _ := filepath.Glob(filepath.Join(wgdev.SocketDir, wireguardDevicePrefix+"*.sock"))
	for _, s := range socks {
		name := filepath.Base(s)
		if _, err := strconv.Atoi(name[len(wireguardDevicePrefix) : len(name)-len(".sock")]); err != nil {
			continue
		}
		if err := os.Remove(s); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
	return nil
}

// wireguardConfigured reports whether node n's device runs, configured: a
// private key and the lab's port (a restarted device has neither).
func wireguardConfigured(n Node) error {
	c, err := wgctrl.New()
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.Device(WireGuardDevice(n))
	if err != nil {
		return err
	}
	if d.PrivateKey == (wgtypes.Key{}) || d.ListenPort != WireGuardPort {
		return fmt.Errorf("%s is not configured (no key, or not on port %d)", d.Name, WireGuardPort)
	}
	return nil
}
