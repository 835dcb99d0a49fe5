package lab

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ciliumProblems are what keeps this host from running the Cilium engine,
// each with the command that fixes it.
func ciliumProblems(o Options) []string {
	var p, missing []string
	for _, b := range ciliumBinaries {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			missing = append(missing, b)
		}
	}
	if _, err := os.Stat(filepath.Join(ciliumBPFDir(o.BinDir), "bpf_lxc.c")); err != nil {
		missing = append(missing, "Cilium's BPF sources (cilium/bpf)")
	}
	if len(missing) > 0 {
		p = append(p, fmt.Sprintf("--engine cilium: %s not built in %s: run make lab-cilium", strings.Join(missing, ", "), o.BinDir))
	}
	if _, err := os.Stat(filepath.Join(llvmBinDir, "clang")); err != nil {
		p = append(p, "--engine cilium: clang-19 is missing (the agent compiles its datapath with it; clang 14 builds programs this kernel rejects): apt-get install clang-19 llvm-19, or make deps")
	}
	for _, tool := range []string{"/usr/bin/unshare", "/bin/sh"} {
		if _, err := os.Stat(tool); err != nil {
			p = append(p, fmt.Sprintf("--engine cilium: %s is missing: apt-get install util-linux", tool))
		}
	}
	return p
}
