package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// run executes a host tool (ip, iptables, ipset) and returns its output; the
// error carries the command and what it printed.
func run(ctx context.Context, name string, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

const ipForwardSysctl = "/proc/sys/net/ipv4/ip_forward"

// setupHost creates the lab's node interface holding NodeIP and turns on IPv4
// forwarding (pods are routed through the host), remembering the old value.
// The marker is written first, so a crash in between still lets down clean.
func setupHost(ctx context.Context, l layout) error {
	if err := os.WriteFile(l.hostMarker(), []byte("the lab may have objects on this host; `meshbench lab down` removes them\n"), 0o644); err != nil {
		return err
	}
	if _, err := os.Stat(l.savedIPForward()); errors.Is(err, os.ErrNotExist) {
		old, err := os.ReadFile(ipForwardSysctl)
		if err != nil {
			return err
		}
		if err := os.WriteFile(l.savedIPForward(), old, 0o644); err != nil {
			return err
		}
	}
	if err := os.WriteFile(ipForwardSysctl, []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enable net.ipv4.ip_forward: %w", err)
	}
	// A veth pair rather than a dummy interface: some kernels (small VMs)
	// lack the dummy driver, and the node agent needs veth anyway.
	if !linkExists(NodeInterface) {
		if _, err := run(ctx, "ip", "link", "add", NodeInterface, "type", "veth", "peer", "name", NodeInterfacePeer); err != nil {
			return err
		}
	}
	if _, err := run(ctx, "ip", "addr", "replace", NodeIP+"/32", "dev", NodeInterface); err != nil {
		return err
	}
	for _, link := range []string{NodeInterfacePeer, NodeInterface} {
		if _, err := run(ctx, "ip", "link", "set", link, "up"); err != nil {
			return err
		}
	}
	// Service addresses lead into the lab's own interface: the host's
	// connections to a ClusterIP then leave from the node IP, and one made
	// before kube-proxy has written its rules stays on this host instead of
	// going out of the default route. The route goes with the interface.
	_, err := run(ctx, "ip", "route", "replace", ServiceCIDR, "dev", NodeInterface, "src", NodeIP)
	return err
}

// restoreIPForward puts net.ipv4.ip_forward back to what it was before up.
func restoreIPForward(l layout) error {
	old, err := os.ReadFile(l.savedIPForward())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(ipForwardSysctl, old, 0o644); err != nil {
		return fmt.Errorf("restore net.ipv4.ip_forward: %w", err)
	}
	return os.Remove(l.savedIPForward())
}

func linkExists(name string) bool {
	_, err := os.Stat("/sys/class/net/" + name)
	return err == nil
}

// links lists the host's network interfaces.
func links() []string {
	entries, _ := os.ReadDir("/sys/class/net")
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// netnsList lists the named network namespaces (`ip netns list`).
func netnsList(ctx context.Context) ([]string, error) {
	out, err := run(ctx, "ip", "netns", "list")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) > 0 {
			names = append(names, f[0])
		}
	}
	return names, nil
}
