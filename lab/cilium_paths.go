package lab

import "path/filepath"

// ciliumName is the component name of each node's cilium-agent, and
// ciliumCNI the CNI plugin it answers.
const (
	ciliumName = "cilium-agent"
	ciliumCNI  = "cilium-cni"
)

// ciliumBinaries are what `make lab-cilium` puts in the bin dir: the agent,
// the CNI plugin, and the module's BPF sources (which the agent compiles at
// run time) under ciliumLibDir.
var ciliumBinaries = []string{ciliumName, ciliumCNI}

// ciliumLibDir is the agent's --lib-dir under the bin dir: it holds bpf/,
// the datapath's C sources, which the agent compiles with clang at run time.
func ciliumLibDir(binDir string) string       { return filepath.Join(binDir, "cilium") }
func ciliumBPFDir(binDir string) string       { return filepath.Join(ciliumLibDir(binDir), "bpf") }
func (l layout) ciliumDir(node string) string { return filepath.Join(l.nodeDir(node), "cilium") }

// ciliumSocket is the agent's API socket, which cilium-cni and the lab's
// health check dial.
func (l layout) ciliumSocket(node string) string {
	return filepath.Join(l.ciliumDir(node), "cilium.sock")
}

// ciliumBPFRoot is the node's own bpffs, mounted by up and unmounted by
// down: the agent pins its maps there, so two nodes never share a map and
// unmounting drops every pin at once.
func (l layout) ciliumBPFRoot(node string) string { return filepath.Join(l.ciliumDir(node), "bpffs") }

// ciliumRunDir is mounted over /run/cilium in the agent's own mount
// namespace: the agent keeps a pid file and sockets at fixed paths there,
// which two agents on one host would otherwise share.
func (l layout) ciliumRunDir(node string) string { return filepath.Join(l.ciliumDir(node), "run") }

// ciliumRuntimeDir is the fixed path the agent (and cilium-cni, for its
// deletion queue) uses for runtime files.
const ciliumRuntimeDir = "/run/cilium"

// ciliumRuntimeMarker records that up created ciliumRuntimeDir on the host,
// so down removes it again (and only then).
func (l layout) ciliumRuntimeMarker() string { return filepath.Join(l.dir(), "created-run-cilium") }

// llvmBinDir holds Debian's clang-19, which the agent must find first on
// PATH: the default clang 14 builds objects this kernel's verifier rejects.
const llvmBinDir = "/usr/lib/llvm-19/bin"
