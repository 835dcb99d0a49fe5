package lab

import (
	"errors"
	"fmt"
	"net"
	"runtime"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// checkIPsec asks the running kernel whether it can carry IPsec between
// nodes: it adds an ESP security association (AES-GCM, tunnel mode), as every
// IPsec daemon does, in a scratch network namespace that disappears with
// its last handle. A kernel without ESP (esp4) or XFRM refuses it. The lab
// has no IPsec network either way; the error says why, in one line.
func checkIPsec() error {
	err := addESPState()
	if err != nil {
		return fmt.Errorf("--network ipsec: this kernel cannot carry IPsec (adding an ESP security association failed: %v); use one of routed, vxlan, wireguard", err)
	}
	return errors.New("--network ipsec: this kernel carries ESP, but the lab has no IPsec network yet; use one of routed, vxlan, wireguard")
}

func addESPState() error {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return err
	}
	defer orig.Close()
	scratch, err := netns.New() // and the thread is in it now
	if err != nil {
		return fmt.Errorf("scratch netns: %w", err)
	}
	defer scratch.Close()
	if err := netns.Set(orig); err != nil {
		return err
	}
	h, err := netlink.NewHandleAt(scratch, unix.NETLINK_XFRM)
	if err != nil {
		return fmt.Errorf("XFRM netlink: %w", err)
	}
	defer h.Close()
	return h.XfrmStateAdd(&netlink.XfrmState{
		Src:   net.IPv4(10, 250, 0, 11),
		Dst:   net.IPv4(10, 250, 0, 12),
		Proto: netlink.XFRM_PROTO_ESP,
		Mode:  netlink.XFRM_MODE_TUNNEL,
		Spi:   0x100,
		Reqid: 1,
		Aead: &netlink.XfrmStateAlgo{
			Name:   "rfc4106(gcm(aes))",
			Key:    make([]byte, 20), // 16 bytes of AES key, 4 of salt
			ICVLen: 128,
		},
	})
}
