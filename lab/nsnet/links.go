package nsnet

import (
	"errors"
	"fmt"
	"net"
	"net/netip"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// Veth creates a veth pair whose end name lives in namespace ns and whose
// peer, peerName, in peerNs ("" is the caller's namespace). An existing end
// named name in ns is kept as it is.
func Veth(ns, name, peerNs, peerName string, mtu int) error {
	h, err := Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	if _, err := h.LinkByName(name); err == nil {
		return nil
	}
	var peer netns.NsHandle
	if peerNs == "" {
		peer, err = netns.Get()
	} else {
		peer, err = netns.GetFromName(peerNs)
	}
	if err != nil {
		return fmt.Errorf("netns %s: %w", peerNs, err)
	}
	defer peer.Close()
	v := &netlink.Veth{
		LinkAttrs:     netlink.LinkAttrs{Name: name, MTU: mtu},
		PeerName:      peerName,
		PeerNamespace: netlink.NsFd(int(peer)),
	}
	if err := h.LinkAdd(v); err != nil {
		return fmt.Errorf("veth %s (netns %q) - %s (netns %q): %w", name, ns, peerName, peerNs, err)
	}
	return nil
}

// Bridge creates (or keeps) a bridge in namespace ns and sets it up.
func Bridge(ns, name string, mtu int) error {
	h, err := Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	if err != nil {
		br := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: name, MTU: mtu}}
		if err := h.LinkAdd(br); err != nil {
			return fmt.Errorf("bridge %s: %w", name, err)
		}
		if l, err = h.LinkByName(name); err != nil {
			return err
		}
	}
	return h.LinkSetUp(l)
}

// Enslave attaches link to bridge (both in namespace ns) and sets it up.
func Enslave(ns, link, bridge string) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		br, err := h.LinkByName(bridge)
		if err != nil {
			return fmt.Errorf("bridge %s: %w", bridge, err)
		}
		if err := h.LinkSetMaster(l, br); err != nil {
			return fmt.Errorf("attach %s to %s: %w", link, bridge, err)
		}
		return h.LinkSetUp(l)
	})
}

// withLink runs fn with a netlink handle in namespace ns and its link of
// this name.
func withLink(ns, link string, fn func(*netlink.Handle, netlink.Link) error) error {
	h, err := Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(link)
	if err != nil {
		return fmt.Errorf("link %s: %w", link, err)
	}
	return fn(h, l)
}

// Address puts addr (with its prefix length) on link in namespace ns, and
// sets the link up.
func Address(ns, link string, addr netip.Prefix) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		a := &netlink.Addr{IPNet: ipNet(addr)}
		if err := h.AddrReplace(l, a); err != nil {
			return fmt.Errorf("address %s on %s: %w", addr, link, err)
		}
		return h.LinkSetUp(l)
	})
}

func ipNet(p netip.Prefix) *net.IPNet {
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}

// Route routes dst through gateway gw on link in namespace ns (replacing a
// route to the same destination); src, when valid, is the preferred source.
func Route(ns, link string, dst netip.Prefix, gw, src netip.Addr) error {
	return withLink(ns, link, func(h *netlink.Handle, l netlink.Link) error {
		r := &netlink.Route{LinkIndex: l.Attrs().Index, Dst: ipNet(dst)}
		if gw.IsValid() {
			r.Gw = gw.AsSlice()
		} else {
			r.Scope = netlink.SCOPE_LINK
		}
		if src.IsValid() {
			r.Src = src.AsSlice()
		}
		if err := h.RouteReplace(r); err != nil {
			return fmt.Errorf("route %s via %v dev %s: %w", dst, gw, link, err)
		}
		return nil
	})
}

// DeleteLink removes a link in namespace ns (a veth takes its peer along);
// one already gone is fine.
func DeleteLink(ns, name string) error {
	h, err := Handle(ns)
	if err != nil {
		return err
	}
	defer h.Close()
	l, err := h.LinkByName(name)
	var nf netlink.LinkNotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		return err
	}
	return h.LinkDel(l)
}

// LinkExists reports whether namespace ns has a link of this name.
func LinkExists(ns, name string) bool {
	h, err := Handle(ns)
	if err != nil {
		return false
	}
	defer h.Close()
	_, err = h.LinkByName(name)
	return err == nil
}

// Links lists the names of namespace ns's links.
func Links(ns string) ([]string, error) {
	h, err := Handle(ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	ls, err := h.LinkList()
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, l.Attrs().Name)
	}
	return out, nil
}

// Routes lists namespace ns's IPv4 routes of the main table as
// "dst via gw dev link" strings, for tests and status.
func Routes(ns string) ([]string, error) {
	h, err := Handle(ns)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	rs, err := h.RouteList(nil, netlink.FAMILY_V4)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range rs {
		dst := "default"
		if r.Dst != nil {
			dst = r.Dst.String()
		}
		s := dst
		if r.Gw != nil {
			s += " via " + r.Gw.String()
		}
		if l, err := h.LinkByIndex(r.LinkIndex); err == nil {
			s += " dev " + l.Attrs().Name
		}
		out = append(out, s)
	}
	return out, nil
}
