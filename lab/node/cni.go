package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"sort"

	"github.com/containernetworking/cni/libcni"
	cnitypes "github.com/containernetworking/cni/pkg/types"
	current "github.com/containernetworking/cni/pkg/types/100"
)

// CNI wires pods the way the kubelet's container runtime does: it loads the
// first conflist of the node's CNI configuration directory and calls its
// plugins through libcni — ADD when a pod starts, CHECK when the agent takes
// a pod over after a restart, DEL when it goes — with the loopback plugin
// first for the pod's lo, as containerd does.
type CNI struct {
	cni      *libcni.CNIConfig
	network  *libcni.NetworkConfigList
	loopback *libcni.NetworkConfigList
	file     string
}

// loopbackConfig brings up a pod's lo, as containerd's built-in one does.
const loopbackConfig = `{"cniVersion": "1.0.0", "name": "cni-loopback", "plugins": [{"type": "loopback"}]}`

// ErrNoCNIConfig means the node's network plugin has not written its
// conflist yet (flannel writes it once it has the node's subnet).
var ErrNoCNIConfig = errors.New("no .conflist")

// NewCNI loads the network from the first .conflist (by name) in confDir;
// plugins are executables in binDir; libcni caches each attachment's result
// in cacheDir (which CHECK and DEL read).
func NewCNI(confDir, binDir, cacheDir string) (*CNI, error) {
	files, err := libcni.ConfFiles(confDir, []string{".conflist"})
	if err != nil {
		return nil, fmt.Errorf("CNI configuration directory %s: %w", confDir, err)
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("%w in the CNI configuration directory %s", ErrNoCNIConfig, confDir)
	}
	sort.Strings(files)
	network, err := libcni.NetworkConfFromFile(files[0])
	if err != nil {
		return nil, fmt.Errorf("CNI configuration %s: %w", files[0], err)
	}
	loopback, err := libcni.NetworkConfFromBytes([]byte(loopbackConfig))
	if err != nil {
		return nil, err
	}
	for _, p := range append(append([]*libcni.PluginConfig{}, network.Plugins...), loopback.Plugins...) {
		if _, err := os.Stat(filepath.Join(binDir, p.Network.Type)); err != nil {
			return nil, fmt.Errorf("CNI plugin %q of %s is not in %s (make lab builds it)", p.Network.Type, files[0], binDir)
		}
	}
	if err := os.MkdirAll(cacheDir, 0o700); err != nil {
		return nil, err
	}
	return &CNI{
		cni:      libcni.NewCNIConfigWithCacheDir([]string{binDir}, cacheDir, nil),
		network:  network,
		loopback: loopback,
		file:     files[0],
	}, nil
}

// Type is the network's first plugin's type (e.g. "ptp"), the one that
// creates a pod's interface.
func (c *CNI) Type() string { return c.network.Plugins[0].Network.Type }

// File is the conflist the network was loaded from.
func (c *CNI) File() string { return c.file }

// PodAttachment identifies one pod's attachment, as the runtime passes it
// to the plugins.
type PodAttachment struct {
	ContainerID string // stable per pod: its netns name
	NetnsPath   string
	Namespace   string
	Name        string
	UID         string
}

func (a PodAttachment) runtimeConf() *libcni.RuntimeConf {
	return &libcni.RuntimeConf{
		ContainerID: a.ContainerID,
		NetNS:       a.NetnsPath,
		IfName:      PodInterface,
		Args: [][2]string{
			{"IgnoreUnknown", "1"},
			{"K8S_POD_NAMESPACE", a.Namespace},
			{"K8S_POD_NAME", a.Name},
			{"K8S_POD_INFRA_CONTAINER_ID", a.ContainerID},
			{"K8S_POD_UID", a.UID},
		},
	}
}

// Wiring is what ADD made of a pod: its address and the node-side end of
// its interface.
type Wiring struct {
	IP       netip.Addr
	HostVeth string
}

// Add wires the pod (loopback, then the network) and returns its address.
func (c *CNI) Add(ctx context.Context, a PodAttachment) (Wiring, error) {
	rt := a.runtimeConf()
	if _, err := c.cni.AddNetworkList(ctx, c.loopback, rt); err != nil {
		return Wiring{}, fmt.Errorf("CNI ADD loopback: %w", err)
	}
	res, err := c.cni.AddNetworkList(ctx, c.network, rt)
	if err != nil {
		return Wiring{}, fmt.Errorf("CNI ADD %s (%s): %w", c.network.Name, c.Type(), err)
	}
	return wiringOf(res)
}

// Check asks the plugins whether the pod's wiring is still as ADD left it.
func (c *CNI) Check(ctx context.Context, a PodAttachment) error {
	if err := c.cni.CheckNetworkList(ctx, c.network, a.runtimeConf()); err != nil {
		return fmt.Errorf("CNI CHECK %s (%s): %w", c.network.Name, c.Type(), err)
	}
	return nil
}

// Cached is the wiring ADD recorded for the pod, from libcni's cache.
func (c *CNI) Cached(a PodAttachment) (Wiring, error) {
	res, err := c.cni.GetNetworkListCachedResult(c.network, a.runtimeConf())
	if err != nil {
		return Wiring{}, err
	}
	if res == nil {
		return Wiring{}, errors.New("no cached CNI result")
	}
	return wiringOf(res)
}

// Del removes the pod's wiring (network, then loopback); what is already
// gone is not an error, as the CNI specification asks of DEL.
func (c *CNI) Del(ctx context.Context, a PodAttachment) error {
	var errs []error
	if err := c.cni.DelNetworkList(ctx, c.network, a.runtimeConf()); err != nil {
		errs = append(errs, fmt.Errorf("CNI DEL %s (%s): %w", c.network.Name, c.Type(), err))
	}
	if err := c.cni.DelNetworkList(ctx, c.loopback, a.runtimeConf()); err != nil {
		errs = append(errs, fmt.Errorf("CNI DEL loopback: %w", err))
	}
	return errors.Join(errs...)
}

func wiringOf(res cnitypes.Result) (Wiring, error) {
	r, err := current.NewResultFromResult(res)
	if err != nil {
		return Wiring{}, fmt.Errorf("CNI result: %w", err)
	}
	var w Wiring
	for _, ipc := range r.IPs {
		if a, ok := netip.AddrFromSlice(ipc.Address.IP.To4()); ok && ipc.Address.IP.To4() != nil {
			w.IP = a
			break
		}
	}
	if !w.IP.IsValid() {
		return Wiring{}, fmt.Errorf("CNI result has no IPv4 address: %v", r.IPs)
	}
	for _, iface := range r.Interfaces {
		if iface.Sandbox == "" {
			w.HostVeth = iface.Name
		}
	}
	return w, nil
}
