package meshes

import (
	"context"
	"fmt"
	"strconv"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Network is how pod traffic crosses between nodes, as the nodes announce
// it: the meshbench lab's node agents annotate their Node with the lab's
// network (LabNetworkAnnotation and the two beside it), and flannel annotates
// every Node it runs on with its backend.
type Network struct {
	// Name is "routed", "vxlan", "wireguard" (the lab's) or flannel's
	// backend type.
	Name string `json:"name"`
	// MTU is the pods' MTU on it; 0 when not announced.
	MTU int `json:"mtu,omitempty"`
	// Cipher is the encryption between nodes, e.g. "ChaCha20-Poly1305";
	// empty when there is none.
	Cipher string `json:"cipher,omitempty"`
}

func (n Network) String() string {
	s := "network " + n.Name
	if n.MTU > 0 {
		s += " mtu=" + strconv.Itoa(n.MTU)
	}
	if n.Cipher != "" {
		s += " cipher=" + n.Cipher
	}
	return s
}

// The Node annotations the lab's node agents set.
const (
	LabNetworkAnnotation       = "meshbench.io/network"
	LabNetworkMTUAnnotation    = "meshbench.io/network-mtu"
	LabNetworkCipherAnnotation = "meshbench.io/network-cipher"
	flannelBackendAnnotation   = "flannel.alpha.coreos.com/backend-type"
)

// network reads the network from the first Node that announces one.
func (f *finder) network(ctx context.Context) (*Network, error) {
	nodes, err := f.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if ok, err := f.readable(err, "nodes"); err != nil || !ok {
		return nil, err
	}
	for _, n := range nodes.Items {
		a := n.Annotations
		if name := a[LabNetworkAnnotation]; name != "" {
			out := &Network{Name: name, Cipher: a[LabNetworkCipherAnnotation]}
			if v := a[LabNetworkMTUAnnotation]; v != "" {
				mtu, err := strconv.Atoi(v)
				if err != nil {
					f.note("node %s: annotation %s=%q is not a number", n.Name, LabNetworkMTUAnnotation, v)
				}
				out.MTU = mtu
			}
			return out, nil
		}
		if b := a[flannelBackendAnnotation]; b != "" {
			return &Network{Name: fmt.Sprintf("flannel-%s", b)}, nil
		}
	}
	return nil, nil
}
