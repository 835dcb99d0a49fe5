package policies

import (
	"fmt"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
)

const npPrefix = "np"

// networkPolicyBuilder renders Kubernetes NetworkPolicies (ingress only).
type networkPolicyBuilder struct {
	shape  Shape
	t      Target
	client string // ipblock: the client's CIDR, "" = admit the client by label
}

func newNetworkPolicyBuilder(s Shape, t Target) (*networkPolicyBuilder, error) {
	b := &networkPolicyBuilder{shape: s, t: t}
	if s == ShapeIPBlock && t.ClientCIDR != "" {
		p, err := t.clientPrefix()
		if err != nil {
			return nil, err
		}
		b.client = p.String()
	}
	return b, nil
}

func (b *networkPolicyBuilder) MaxDecoys() int {
	switch b.shape {
	case ShapePorts, ShapeDenyAll:
		return maxPortDecoys
	case ShapeIPBlock:
		return maxAddrDecoys
	}
	return maxDecoys
}

// Base is the deny-all of the deny-all shape: it selects the server pods and
// admits nothing, so only the allow policy opens them.
func (b *networkPolicyBuilder) Base() ([]*unstructured.Unstructured, error) {
	if b.shape != ShapeDenyAll {
		return nil, nil
	}
	return one(b.policy("meshbench-np-deny-all", PolicyBase, nil))
}

func (b *networkPolicyBuilder) Allow() ([]*unstructured.Unstructured, error) {
	var from networkingv1.NetworkPolicyPeer
	switch b.shape {
	case ShapeIPBlock:
		from = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: b.client}}
		if b.client == "" {
			from = networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: clientLabels()}}
		}
	case ShapeNamespace:
		from = networkingv1.NetworkPolicyPeer{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: b.t.Namespace}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: clientLabels()},
		}
	default:
		from = networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: clientLabels()}}
	}
	return one(b.policy(allowName(npPrefix), PolicyAllow, []networkingv1.NetworkPolicyIngressRule{b.rule(from, b.t.Port)}))
}

func (b *networkPolicyBuilder) Decoy(i int) ([]*unstructured.Unstructured, error) {
	if err := checkDecoy(b, i); err != nil {
		return nil, err
	}
	port := b.t.Port
	var from networkingv1.NetworkPolicyPeer
	switch b.shape {
	case ShapePorts, ShapeDenyAll:
		port = decoyPort(i, b.t.Port)
		from = networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: clientLabels()}}
	case ShapePeers:
		from = networkingv1.NetworkPolicyPeer{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelDecoyOf: strconv.Itoa(i)}}}
	case ShapeIPBlock:
		from = networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: decoyAddr(i).String()}}
	case ShapeNamespace:
		from = networkingv1.NetworkPolicyPeer{
			NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{corev1.LabelMetadataName: fmt.Sprintf("meshbench-decoy-%04d", i)}},
			PodSelector:       &metav1.LabelSelector{MatchLabels: clientLabels()},
		}
	default:
		return nil, fmt.Errorf("networkpolicy: unknown shape %q", b.shape)
	}
	return one(b.policy(decoyName(npPrefix, i), PolicyDecoy, []networkingv1.NetworkPolicyIngressRule{b.rule(from, port)}))
}

// rule admits peer on TCP port.
func (b *networkPolicyBuilder) rule(from networkingv1.NetworkPolicyPeer, port int) networkingv1.NetworkPolicyIngressRule {
	tcp := corev1.ProtocolTCP
	p := intstr.FromInt32(int32(port))
	return networkingv1.NetworkPolicyIngressRule{
		From:  []networkingv1.NetworkPolicyPeer{from},
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &p}},
	}
}

// policy is an ingress policy on the server pods with the given rules; no
// rules means deny all ingress.
func (b *networkPolicyBuilder) policy(name, role string, rules []networkingv1.NetworkPolicyIngressRule) *networkingv1.NetworkPolicy {
	return &networkingv1.NetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"},
		ObjectMeta: b.t.meta(name, role),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: serverLabels()},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}
