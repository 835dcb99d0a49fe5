package lab

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
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
		{"ip", "iproute2"}, {"iptables", "iptables"}, {"iptables-restore", "iptables"}, {"ipset", "ipset"},
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
	if _, err := exec.LookPath("ip"); err == nil {
		if _, err := run(ctx, "ip", "netns", "list"); err != nil {
			p = append(p, "`ip netns` does not work here: "+err.Error())
		}
	}
	var missing []string
	for _, b := range binaries {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			missing = append(missing, b)
		}
	}
	if len(missing) > 0 {
		p = append(p, fmt.Sprintf("%s not built in %s: run make lab", strings.Join(missing, ", "), o.BinDir))
	}
	if err := exec.CommandContext(ctx, o.Meshbench, "lab", "agent", "--help").Run(); err != nil {
		p = append(p, fmt.Sprintf("%s has no working `lab agent` command (%v): run make build", o.Meshbench, err))
	}
	p = append(p, portProblems()...)
	p = append(p, hostConflicts(ctx, l)...)
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
	{KubeProxyHealthz, "kube-proxy healthz"},
	{KubeProxyMetrics, "kube-proxy metrics"},
	{KubeletPort, "the node agent's kubelet API"},
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

// hostConflicts finds objects the lab would create that already exist and
// are not the lab's: KUBE-* iptables chains or kube-router ipsets of another
// Kubernetes node, and host addresses in the lab's networks.
func hostConflicts(ctx context.Context, l layout) []string {
	if _, err := os.Stat(l.hostMarker()); err == nil {
		return nil // the lab's own leftovers; up removed them already
	}
	var p []string
	if chains, err := foundLabChains(ctx); err == nil && len(chains) > 0 {
		p = append(p, fmt.Sprintf("iptables already has Kubernetes chains (%s): another kube-proxy or kube-router runs here, and the lab would share its chains", firstFew(chains)))
	}
	if sets, err := foundLabIPSets(ctx); err == nil && len(sets) > 0 {
		p = append(p, fmt.Sprintf("ipsets of another kube-router exist (%s)", firstFew(sets)))
	}
	if out, err := run(ctx, "ip", "-o", "-4", "addr", "show"); err == nil {
		for _, line := range strings.Split(out, "\n") {
			f := strings.Fields(line)
			if len(f) >= 4 && f[1] != NodeInterface && inLabNetworks(f[3]) {
				p = append(p, fmt.Sprintf("interface %s holds %s, inside the lab's networks (node %s, pods %s, services %s)", f[1], f[3], NodeIP, PodCIDR, ServiceCIDR))
			}
		}
	}
	return p
}

func firstFew(s []string) string {
	if len(s) > 3 {
		return strings.Join(s[:3], ", ") + fmt.Sprintf(" and %d more", len(s)-3)
	}
	return strings.Join(s, ", ")
}

// inLabNetworks reports whether an address (CIDR form) lies in the node IP,
// pod or service ranges.
func inLabNetworks(cidr string) bool {
	ip, _, err := net.ParseCIDR(cidr)
	if err != nil {
		return false
	}
	for _, n := range []string{NodeIP + "/32", PodCIDR, ServiceCIDR} {
		_, network, _ := net.ParseCIDR(n)
		if network.Contains(ip) {
			return true
		}
	}
	return false
}
