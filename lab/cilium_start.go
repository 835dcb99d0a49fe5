package lab

import (
	"context"
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"

	"github.com/meshbench/meshbench/policies/crdvalidate"
)

// prepareCilium readies the host for the nodes' cilium-agents: the fixed
// runtime directory their mount namespaces cover, each node's directories
// and bpffs, and Cilium's CRDs (the agents wait for them; the operator,
// which installs them on a real cluster, does not run here).
func prepareCilium(ctx context.Context, l layout, o Options, nodes []Node) error {
	if _, err := os.Stat(ciliumRuntimeDir); errors.Is(err, os.ErrNotExist) {
		// The marker first: a crash in between still lets down remove it.
		if err := os.WriteFile(l.ciliumRuntimeMarker(), nil, 0o644); err != nil {
			return err
		}
		if err := os.MkdirAll(ciliumRuntimeDir, 0o755); err != nil {
			return err
		}
	}
	for _, n := range nodes {
		for _, d := range []string{l.ciliumRunDir(n.Name), l.ciliumBPFRoot(n.Name)} {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return err
			}
		}
		if err := mountBPFFS(l.ciliumBPFRoot(n.Name)); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	o.step("installing Cilium's CRDs")
	return installCiliumCRDs(ctx, l)
}

// bpfFSMagic is bpffs' statfs type.
const bpfFSMagic = 0xcafe4a11

// mountBPFFS mounts a bpffs of its own at dir unless one is there.
func mountBPFFS(dir string) error {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err == nil && uint32(st.Type) == bpfFSMagic {
		return nil
	}
	if err := unix.Mount("bpffs", dir, "bpf", 0, "mode=0700"); err != nil {
		return fmt.Errorf("mount bpffs at %s: %w", dir, err)
	}
	return nil
}

func installCiliumCRDs(ctx context.Context, l layout) error {
	crds, err := crdvalidate.CiliumAgentCRDs()
	if err != nil {
		return fmt.Errorf("cilium CRDs: %w", err)
	}
	cfg, err := RESTConfig(l.dir())
	if err != nil {
		return err
	}
	cs, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	if _, err := crdvalidate.Install(ctx, cs, "lab", crds...); err != nil {
		return fmt.Errorf("cilium CRDs: %w", err)
	}
	return nil
}
