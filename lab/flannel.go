package lab

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// VXLANPort is the UDP port of flannel's VXLAN devices (the Linux kernel's
// own default, which flannel keeps).
const VXLANPort = 8472

// flannelNetConf is flanneld's network configuration (its net-conf.json,
// which a cluster keeps in the kube-flannel ConfigMap): the cluster CIDR,
// each node's share taken from its Node's podCIDR (--kube-subnet-mgr), and the
// vxlan backend.
func flannelNetConf() map[string]any {
	return map[string]any{
		"Network":    ClusterCIDR,
		"EnableIPv4": true,
		"Backend": map[string]any{
			"Type": "vxlan",
			"VNI":  1,
			"Port": VXLANPort,
		},
	}
}

func writeFlannelNetConf(l layout) error {
	b, err := json.MarshalIndent(flannelNetConf(), "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(l.flannelNetConf()), 0o755); err != nil {
		return err
	}
	return os.WriteFile(l.flannelNetConf(), append(b, '\n'), 0o644)
}

// flannelComponent runs flanneld in node n's namespace with the Kubernetes
// subnet manager: it reads its Node's podCIDR, publishes its VTEP in the
// Node's annotations, programs the VXLAN device flannel.1 with the other
// nodes' VTEPs and routes their pod CIDRs through it, and writes its
// subnet.env under the node's state directory (not /run/flannel, shared by
// every namespace).
func flannelComponent(l layout, o Options, n Node) component {
	c := component{name: flanneldName, node: n.Name, netns: n.Netns(), path: filepath.Join(o.BinDir, flanneldName), args: []string{
		"--kube-subnet-mgr",
		"--kubeconfig-file=" + l.componentKubeconfig(nodeID.file),
		"--net-config-path=" + l.flannelNetConf(),
		"--subnet-file=" + l.flannelSubnetEnv(n.Name),
		"--iface=" + NodeInterface,
		"--ip-masq=false",
		"--healthz-port=0",
	}}
	// flanneld finds its Node by NODE_NAME; lab down and status find the
	// node from its --subnet-file.
	c.env = []string{"NODE_NAME=" + n.Name}
	return c
}

// flannelSubnet is what flanneld wrote to a node's subnet.env: the node's
// subnet (its first address is the bridge's gateway) and the MTU its pods
// get (the underlay's less VXLAN's headers).
type flannelSubnet struct {
	Network netip.Prefix
	Subnet  netip.Prefix
	MTU     int
}

// readFlannelSubnet parses a subnet.env (FLANNEL_NETWORK, FLANNEL_SUBNET,
// FLANNEL_MTU lines, as flannel's CNI plugin reads them).
func readFlannelSubnet(path string) (flannelSubnet, error) {
	f, err := os.Open(path)
	if err != nil {
		return flannelSubnet{}, err
	}
	defer f.Close()
	var s flannelSubnet
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), "=")
		if !ok {
			continue
		}
		switch k {
		case "FLANNEL_NETWORK":
			s.Network, err = netip.ParsePrefix(v)
		case "FLANNEL_SUBNET":
			s.Subnet, err = netip.ParsePrefix(v)
		case "FLANNEL_MTU":
			s.MTU, err = strconv.Atoi(v)
		}
		if err != nil {
			return flannelSubnet{}, fmt.Errorf("%s: %s: %w", path, k, err)
		}
	}
	if err := sc.Err(); err != nil {
		return flannelSubnet{}, err
	}
	if !s.Subnet.IsValid() || s.MTU == 0 {
		return flannelSubnet{}, fmt.Errorf("%s: no FLANNEL_SUBNET or FLANNEL_MTU", path)
	}
	return s, nil
}

// waitFlannelSubnet waits until node n's flanneld wrote its subnet.env.
func waitFlannelSubnet(ctx context.Context, l layout, n Node) (flannelSubnet, error) {
	for {
		s, err := readFlannelSubnet(l.flannelSubnetEnv(n.Name))
		if err == nil {
			return s, nil
		}
		select {
		case <-ctx.Done():
			return flannelSubnet{}, fmt.Errorf("node %s: flanneld wrote no subnet.env (see %s): %w", n.Name, l.log(n.Name+"/"+flanneldName), ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// flannelCNIConfig is node n's conflist on the vxlan network, as flannel's
// CNI plugin delegates: the reference bridge plugin (a bridge cni0 per node,
// a veth per pod on it, the bridge the pods' default gateway) with
// host-local IPAM over the node's flannel subnet, at flannel's MTU.
func flannelCNIConfig(l layout, n Node, s flannelSubnet) map[string]any {
	return map[string]any{
		"cniVersion":             "1.0.0",
		"name":                   CNINetworkName,
		"loadOnlyInlinedPlugins": true,
		"plugins": []any{
			map[string]any{
				"type":             "bridge",
				"bridge":           flannelBridge,
				"isGateway":        true,
				"isDefaultGateway": true,
				"ipMasq":           false,
				"hairpinMode":      true,
				"mtu":              s.MTU,
				"ipam": map[string]any{
					"type":    "host-local",
					"ranges":  [][]map[string]string{{{"subnet": s.Subnet.Masked().String()}}},
					"dataDir": filepath.Join(l.nodeDir(n.Name), "cni", "ipam"),
				},
			},
		},
	}
}

// flannelVXLANDevice is the VXLAN device flanneld makes for VNI 1.
const flannelVXLANDevice = "flannel.1"

// flannelBridge is the bridge the pods of a vxlan node hang off (flannel's
// CNI plugin names it the same).
const flannelBridge = "cni0"

// startFlannel starts flanneld on every node once its Node is registered,
// then writes each node's conflist as its subnet.env appears (the node's
// agent turns Ready then).
func startFlannel(ctx context.Context, l layout, o Options, nodes []Node, launch func(...component) error, perNode func(string) []component) error {
	if err := writeFlannelNetConf(l); err != nil {
		return err
	}
	watch := newWatcher(l)
	for _, n := range nodes {
		if err := watch.until(ctx, "node "+n.Name+" registered", nodeRegistered(l, n.Name)); err != nil {
			return err
		}
	}
	o.step("starting flanneld (vxlan backend, Kubernetes subnet manager) on every node")
	if err := launch(perNode(flanneldName)...); err != nil {
		return err
	}
	for _, n := range nodes {
		s, err := waitFlannelSubnet(ctx, l, n)
		if err != nil {
			return err
		}
		if err := writeCNIConfig(l, n, flannelCNIConfig(l, n, s)); err != nil {
			return fmt.Errorf("node %s: %w", n.Name, err)
		}
	}
	return nil
}
