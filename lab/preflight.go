package lab

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/vishvananda/netlink"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// PreflightError is bad input: the host cannot run the lab as it is. Its
// message says what is missing and how to fix it; nothing was created.
type PreflightError struct{ Problems []string }

func (e *PreflightError) Error() string {
	return "lab cannot start: " + strings.Join(e.Problems, "; ")
}

// preflight checks everything up needs before it creates anything.
func preflight(ctx context.Context, l layout, o Options) error {
	var p []string
	if runtime.GOOS != "linux" {
		return &PreflightError{[]string{"the lab needs Linux (network namespaces, iptables)"}}
	}
	if !hasNetAdmin() {
		p = append(p, "needs root or CAP_NET_ADMIN: run it with sudo")
	}
	if _, err := os.Stat("/proc/self/ns/net"); err != nil {
		p = append(p, "this kernel has no network namespaces (/proc/self/ns/net is missing)")
	}
	var pkgs []string
	for _, tool := range []struct{ name, pkg string }{
		{"iptables", "iptables"}, {"iptables-restore", "iptables"}, {"ipset", "ipset"},
	} {
		if _, err := exec.LookPath(tool.name); err != nil {
			pkgs = appendOnce(pkgs, tool.pkg)
		}
	}
	if _, err := os.Stat(o.Etcd); err != nil {
		pkgs = appendOnce(pkgs, "etcd-server")
	}
	if len(pkgs) > 0 {
		p = append(p, "missing tools: apt-get install "+strings.Join(pkgs, " "))
	}
	var missing []string
	need := binaries
	if o.Network == VXLAN {
		need = append(append([]string(nil), binaries...), flanneldName)
	}
	for _, b := range need {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			missing = append(missing, b)
		}
	}
	for _, b := range cniPlugins {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			missing = append(missing, "the CNI plugin "+b)
		}
	}
	if len(missing) > 0 {
		p = append(p, fmt.Sprintf("%s not built in %s: run make lab", strings.Join(missing, ", "), o.BinDir))
	}
	if err := exec.CommandContext(ctx, o.Meshbench, "lab", "agent", "--help").Run(); err != nil {
		p = append(p, fmt.Sprintf("%s has no working `lab agent` command (%v): run make build", o.Meshbench, err))
	}
	if o.Network == WireGuard {
		if err := exec.CommandContext(ctx, o.Meshbench, "lab", "wireguard", "--help").Run(); err != nil {
			p = append(p, fmt.Sprintf("%s has no working `lab wireguard` command (%v): run make build", o.Meshbench, err))
		}
		if _, err := os.Stat("/dev/net/tun"); err != nil {
			p = append(p, "the wireguard network needs TUN devices: /dev/net/tun is missing (modprobe tun)")
		}
	}
	if o.Engine == EngineCilium {
		p = append(p, ciliumProblems(o)...)
		if o.Network != Routed {
			p = append(p, fmt.Sprintf("--engine cilium runs on the routed network only (Cilium routes pods natively); --network %s is for kube-router", o.Network))
		}
	}
	p = append(p, portProblems()...)
	p = append(p, hostConflicts(l)...)
	if len(p) > 0 {
		return &PreflightError{p}
	}
	return nil
}

func appendOnce(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// capNetAdmin is CAP_NET_ADMIN's bit in /proc/self/status's CapEff.
const capNetAdmin = 12

func hasNetAdmin() bool {
	if os.Geteuid() == 0 {
		return true
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "CapEff:"); ok {
			caps, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			return err == nil && caps&(1<<capNetAdmin) != 0
		}
	}
	return false
}

// labPorts are the TCP ports the lab listens on, with who listens.
var labPorts = []struct {
	port int
	what string
}{
	{EtcdClientPort, "etcd clients"},
	{EtcdPeerPort, "etcd peers"},
	{APIServerPort, "kube-apiserver"},
}

func portProblems() []string {
	var p []string
	listeners := tcpListeners()
	for _, lp := range labPorts {
		if holder, taken := listeners[lp.port]; taken {
			p = append(p, fmt.Sprintf("port %d (%s) is taken by %s: stop it, or run `meshbench lab down` if it is a lab left running", lp.port, lp.what, holder))
		}
	}
	return p
}

// tcpListeners maps each listening TCP port on the host to a description of
// the process that holds it ("etcd (pid 42)"), read from /proc.
func tcpListeners() map[int]string {
	inodes := map[string]int{} // socket inode -> port
	for _, f := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			fields := strings.Fields(line)
			if len(fields) < 10 || fields[3] != "0A" { // 0A: LISTEN
				continue
			}
			_, hexPort, ok := strings.Cut(fields[1], ":")
			if !ok {
				continue
			}
			port, err := strconv.ParseUint(hexPort, 16, 16)
			if err != nil {
				continue
			}
			inodes[fields[9]] = int(port)
		}
	}
	out := map[int]string{}
	for _, port := range inodes {
		out[port] = "an unknown process"
	}
	procs, _ := os.ReadDir("/proc")
	for _, pr := range procs {
		pid, err := strconv.Atoi(pr.Name())
		if err != nil {
			continue
		}
		fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
		for _, fd := range fds {
			target, err := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
			if err != nil || !strings.HasPrefix(target, "socket:[") {
				continue
			}
			if port, ok := inodes[strings.TrimSuffix(strings.TrimPrefix(target, "socket:["), "]")]; ok {
				out[port] = fmt.Sprintf("%s (pid %d)", exeName(pid), pid)
			}
		}
	}
	return out
}

// hostConflicts finds addresses of the host's own interfaces inside the
// lab's networks (underlay, pods, services): the lab's routes would hide
// them. Nothing else of the host is shared: each node has its own netfilter
// tables, so the lab runs beside another Kubernetes node.
func hostConflicts(l layout) []string {
	if _, err := os.Stat(l.hostMarker()); err == nil {
		return nil // the lab's own leftovers; up removed them already
	}
	h, err := nsnet.Handle("")
	if err != nil {
		return []string{"netlink: " + err.Error()}
	}
	defer h.Close()
	addrs, err := h.AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return []string{"netlink: " + err.Error()}
	}
	var p []string
	for _, a := range addrs {
		link, err := h.LinkByIndex(a.LinkIndex)
		if err != nil || link.Attrs().Name == HostInterface {
			continue
		}
		ip, ok := netip.AddrFromSlice(a.IP.To4())
		if ok && inLabNetworks(ip) {
			p = append(p, fmt.Sprintf("interface %s holds %s, inside the lab's networks (underlay %s/%d, pods %s, services %s)", link.Attrs().Name, a.IPNet, ControlPlaneIP, UnderlayPrefixLen, ClusterCIDR, ServiceCIDR))
		}
	}
	return p
}

// inLabNetworks reports whether an address lies in the underlay, pod or
// service ranges.
func inLabNetworks(ip netip.Addr) bool {
	for _, n := range []netip.Prefix{netip.PrefixFrom(controlPlaneAddr(), UnderlayPrefixLen).Masked(), netip.MustParsePrefix(ClusterCIDR), netip.MustParsePrefix(ServiceCIDR)} {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
