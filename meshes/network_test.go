package meshes

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func annotatedNode(name string, a map[string]string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Annotations: a}}
}

// The lab's nodes announce their network, MTU and cipher; flannel's nodes
// their backend; nodes that announce nothing give no network.
func TestDetectNetwork(t *testing.T) {
	d := detect(t, annotatedNode("mblab-node-1", map[string]string{
		LabNetworkAnnotation: "wireguard", LabNetworkMTUAnnotation: "1420", LabNetworkCipherAnnotation: "ChaCha20-Poly1305",
	}))
	if d.Network == nil || *d.Network != (Network{Name: "wireguard", MTU: 1420, Cipher: "ChaCha20-Poly1305"}) {
		t.Errorf("lab node: network %+v", d.Network)
	}
	if got := d.Network.String(); got != "network wireguard mtu=1420 cipher=ChaCha20-Poly1305" {
		t.Errorf("String() = %q", got)
	}
	d = detect(t, annotatedNode("n1", map[string]string{flannelBackendAnnotation: "vxlan"}))
	if d.Network == nil || d.Network.Name != "flannel-vxlan" {
		t.Errorf("flannel node: network %+v", d.Network)
	}
	if d = detect(t, annotatedNode("n1", nil)); d.Network != nil {
		t.Errorf("plain node: network %+v, want none", d.Network)
	}
}
