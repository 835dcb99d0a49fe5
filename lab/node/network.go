package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// The pod network is built with iproute2's `ip`, one command per step, each
// step idempotent so that setting up a pod twice (after a restart) converges.

// netnsDir is where `ip netns` keeps its named namespaces.
const netnsDir = "/run/netns"

// PodNetwork is one pod's network: its namespace, its host-side veth and its
// address.
type PodNetwork struct {
	Netns string
	Veth  string
	IP    netip.Addr
}

// NetworkFor names the network of the pod with this UID and address.
func NetworkFor(uid string, ip netip.Addr) PodNetwork {
	return PodNetwork{Netns: NetnsName(uid), Veth: VethName(uid), IP: ip}
}

func (n PodNetwork) check() error {
	if !IsLabNetns(n.Netns) || !IsLabVeth(n.Veth) {
		return fmt.Errorf("refusing netns %q / veth %q: not named by the lab", n.Netns, n.Veth)
	}
	return nil
}

// Setup creates (or completes) the pod's network: a netns with lo up and eth0
// holding IP/32, routes to 169.254.1.1 and a default through it; on the host
// the veth up with proxy ARP answering at once, and a /32 route to the pod.
func (n PodNetwork) Setup(ctx context.Context) error {
	if err := n.check(); err != nil {
		return err
	}
	if !n.IP.Is4() {
		return fmt.Errorf("pod network %s: want an IPv4 address, got %v", n.Netns, n.IP)
	}
	if !NetnsExists(n.Netns) {
		if err := ip(ctx, "netns", "add", n.Netns); err != nil {
			return err
		}
	}
	if !LinkExists(n.Veth) {
		// A leftover eth0 in the namespace (its host peer gone) would block
		// the new pair's peer name.
		_ = ip(ctx, "-n", n.Netns, "link", "del", PodInterface)
		if err := ip(ctx, "link", "add", n.Veth, "type", "veth", "peer", "name", PodInterface, "netns", n.Netns); err != nil {
			return err
		}
	}
	in := func(args ...string) []string { return append([]string{"-n", n.Netns}, args...) }
	steps := [][]string{
		in("link", "set", "lo", "up"),
		in("addr", "replace", n.IP.String()+"/32", "dev", PodInterface),
		in("link", "set", PodInterface, "up"),
		in("route", "replace", GatewayIP, "dev", PodInterface, "scope", "link"),
		in("route", "replace", "default", "via", GatewayIP, "dev", PodInterface),
		{"link", "set", n.Veth, "up"},
	}
	for _, s := range steps {
		if err := ip(ctx, s...); err != nil {
			return err
		}
	}
	// proxy_arp makes the host answer for 169.254.1.1, which the kernel
	// does only on an interface that forwards: forwarding is switched on for
	// this veth alone (the input interface decides), so pods reach each other
	// and Services without the host-wide ip_forward. proxy_delay=0 makes
	// the answer come at once instead of after a random wait of up to 0.8 s,
	// which would otherwise land on a pod's first connection.
	for _, f := range []struct{ path, value string }{
		{"/proc/sys/net/ipv4/conf/" + n.Veth + "/forwarding", "1"},
		{"/proc/sys/net/ipv4/conf/" + n.Veth + "/proxy_arp", "1"},
		{"/proc/sys/net/ipv4/neigh/" + n.Veth + "/proxy_delay", "0"},
	} {
		if err := os.WriteFile(f.path, []byte(f.value), 0o644); err != nil {
			return fmt.Errorf("pod network %s: %w", n.Netns, err)
		}
	}
	return ip(ctx, "route", "replace", n.IP.String()+"/32", "dev", n.Veth)
}

// Teardown removes the pod's route, veth and netns; what is already gone is
// skipped. Kill the pod's processes first (KillNetnsProcesses): a live
// process keeps the namespace, and with it the veth, alive.
func (n PodNetwork) Teardown(ctx context.Context) error {
	if err := n.check(); err != nil {
		return err
	}
	var errs []error
	if LinkExists(n.Veth) {
		if n.IP.IsValid() {
			// The route goes with the link; deleting it first only keeps
			// traffic from a half-removed pod.
			_ = ip(ctx, "route", "del", n.IP.String()+"/32", "dev", n.Veth)
		}
		if err := ip(ctx, "link", "del", n.Veth); err != nil && LinkExists(n.Veth) {
			errs = append(errs, err)
		}
	}
	if NetnsExists(n.Netns) {
		if err := ip(ctx, "netns", "del", n.Netns); err != nil && NetnsExists(n.Netns) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// NetnsExists reports whether a named network namespace exists.
func NetnsExists(name string) bool {
	_, err := os.Stat(filepath.Join(netnsDir, name))
	return err == nil
}

// LinkExists reports whether a link of this name exists in the host namespace.
func LinkExists(name string) bool {
	_, err := os.Stat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// LabNetns lists the network namespaces the lab created.
func LabNetns() ([]string, error) {
	entries, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if IsLabNetns(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// LabVeths lists the host-side veths the lab created.
func LabVeths() ([]string, error) {
	entries, err := os.ReadDir("/sys/class/net")
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if IsLabVeth(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// RemoveNetns deletes a lab netns by name after killing what runs in it.
func RemoveNetns(ctx context.Context, name string) error {
	if !IsLabNetns(name) {
		return fmt.Errorf("refusing netns %q: not named by the lab", name)
	}
	KillNetnsProcesses(name)
	if err := ip(ctx, "netns", "del", name); err != nil && NetnsExists(name) {
		return err
	}
	return nil
}

// RemoveVeth deletes a lab veth (and its peer, and its routes) by name.
func RemoveVeth(ctx context.Context, name string) error {
	if !IsLabVeth(name) {
		return fmt.Errorf("refusing link %q: not named by the lab", name)
	}
	if err := ip(ctx, "link", "del", name); err != nil && LinkExists(name) {
		return err
	}
	return nil
}

// ip runs iproute2's ip with args and returns its message on failure.
func ip(ctx context.Context, args ...string) error {
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "ip", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
