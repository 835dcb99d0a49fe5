package policies

import (
	"fmt"
	"strconv"

	"github.com/cilium/cilium/pkg/policy/api"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const cnpPrefix = "cnp"

// CiliumNetworkPolicy is cilium.io/v2's CiliumNetworkPolicy with a single rule.
// It wraps Cilium's own rule type; Cilium's cilium.io/v2 Go package is not
// imported because its dependencies cannot be fetched here.
type CiliumNetworkPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              *api.Rule `json:"spec,omitempty"`
}

// ciliumBuilder renders CiliumNetworkPolicies.
type ciliumBuilder struct {
	shape Shape
	t     Target
}

func (b *ciliumBuilder) MaxDecoys() int {
	if b.shape == ShapePorts {
		return maxPortDecoys
	}
	return maxDecoys
}

func (b *ciliumBuilder) Base() ([]*unstructured.Unstructured, error) { return nil, nil }

func (b *ciliumBuilder) Allow() ([]*unstructured.Unstructured, error) {
	var l7 *api.L7Rules
	if b.shape == ShapeL7 {
		l7 = &api.L7Rules{HTTP: []api.PortRuleHTTP{{Method: "GET", Path: "/.*"}}}
	}
	return one(b.policy(allowName(cnpPrefix), PolicyAllow, clientLabels(), b.t.Port, l7))
}

func (b *ciliumBuilder) Decoy(i int) ([]*unstructured.Unstructured, error) {
	if err := checkDecoy(b, i); err != nil {
		return nil, err
	}
	name := decoyName(cnpPrefix, i)
	switch b.shape {
	case ShapePorts:
		return one(b.policy(name, PolicyDecoy, clientLabels(), decoyPort(i, b.t.Port), nil))
	case ShapePeers:
		return one(b.policy(name, PolicyDecoy, map[string]string{LabelDecoyOf: strconv.Itoa(i)}, b.t.Port, nil))
	case ShapeL7:
		l7 := &api.L7Rules{HTTP: []api.PortRuleHTTP{{Method: "GET", Path: fmt.Sprintf("/meshbench-decoy/%04d", i)}}}
		return one(b.policy(name, PolicyDecoy, clientLabels(), b.t.Port, l7))
	}
	return nil, fmt.Errorf("cilium: unknown shape %q", b.shape)
}

// policy selects the server endpoints and admits endpoints labelled from on
// TCP port, through the HTTP rules l7 when given.
func (b *ciliumBuilder) policy(name, role string, from map[string]string, port int, l7 *api.L7Rules) *CiliumNetworkPolicy {
	return &CiliumNetworkPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "cilium.io/v2", Kind: "CiliumNetworkPolicy"},
		ObjectMeta: b.t.meta(name, role),
		Spec: &api.Rule{
			EndpointSelector: api.NewESFromMatchRequirements(serverLabels(), nil),
			Ingress: []api.IngressRule{{
				IngressCommonRule: api.IngressCommonRule{
					FromEndpoints: []api.EndpointSelector{api.NewESFromMatchRequirements(from, nil)},
				},
				ToPorts: api.PortRules{{
					Ports: []api.PortProtocol{{Port: strconv.Itoa(port), Protocol: api.ProtoTCP}},
					Rules: l7,
				}},
			}},
		},
	}
}
