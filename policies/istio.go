package policies

import (
	"fmt"
	"strconv"

	securityapi "istio.io/api/security/v1beta1"
	typeapi "istio.io/api/type/v1beta1"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const istioPrefix = "istio"

// istioBuilder renders Istio AuthorizationPolicies (action ALLOW). L4 shapes
// select the server pods and are enforced by ztunnel; the l7 shape targets the
// waypoint, since ztunnel cannot see HTTP and would not match L7 rules.
type istioBuilder struct {
	shape Shape
	t     Target
}

func (b *istioBuilder) MaxDecoys() int {
	if b.shape == ShapePorts {
		return maxPortDecoys
	}
	return maxDecoys
}

func (b *istioBuilder) Base() ([]*unstructured.Unstructured, error) { return nil, nil }

func (b *istioBuilder) Allow() ([]*unstructured.Unstructured, error) {
	op := &securityapi.Operation{Ports: []string{strconv.Itoa(b.t.Port)}}
	if b.shape == ShapeL7 {
		op.Methods = []string{"GET"}
		op.Paths = []string{"/*"}
	}
	return withAction(one(b.policy(allowName(istioPrefix), PolicyAllow, b.principal(b.t.ClientServiceAccount), op)))
}

func (b *istioBuilder) Decoy(i int) ([]*unstructured.Unstructured, error) {
	if err := checkDecoy(b, i); err != nil {
		return nil, err
	}
	name := decoyName(istioPrefix, i)
	client := b.principal(b.t.ClientServiceAccount)
	port := strconv.Itoa(b.t.Port)
	switch b.shape {
	case ShapePorts:
		return withAction(one(b.policy(name, PolicyDecoy, client, &securityapi.Operation{Ports: []string{strconv.Itoa(decoyPort(i, b.t.Port))}})))
	case ShapePrincipals:
		return withAction(one(b.policy(name, PolicyDecoy, b.principal(fmt.Sprintf("meshbench-decoy-%04d", i)), &securityapi.Operation{Ports: []string{port}})))
	case ShapeL7:
		op := &securityapi.Operation{Ports: []string{port}, Methods: []string{"GET"}, Paths: []string{fmt.Sprintf("/meshbench-decoy/%04d", i)}}
		return withAction(one(b.policy(name, PolicyDecoy, client, op)))
	}
	return nil, fmt.Errorf("istio: unknown shape %q", b.shape)
}

// principal is the SPIFFE-style principal of a service account in the target
// namespace, as Istio's source.principals expects it.
func (b *istioBuilder) principal(serviceAccount string) string {
	return fmt.Sprintf("%s/ns/%s/sa/%s", b.t.TrustDomain, b.t.Namespace, serviceAccount)
}

// policy admits principal for operation op.
func (b *istioBuilder) policy(name, role, principal string, op *securityapi.Operation) *securityv1.AuthorizationPolicy {
	ap := &securityv1.AuthorizationPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "AuthorizationPolicy"},
		ObjectMeta: b.t.meta(name, role),
	}
	if b.shape == ShapeL7 {
		ap.Spec.TargetRefs = []*typeapi.PolicyTargetReference{{
			Group: "gateway.networking.k8s.io", Kind: "Gateway", Name: b.t.Waypoint,
		}}
	} else {
		ap.Spec.Selector = &typeapi.WorkloadSelector{MatchLabels: serverLabels()}
	}
	ap.Spec.Action = securityapi.AuthorizationPolicy_ALLOW
	ap.Spec.Rules = []*securityapi.Rule{{
		From: []*securityapi.Rule_From{{Source: &securityapi.Source{Principals: []string{principal}}}},
		To:   []*securityapi.Rule_To{{Operation: op}},
	}}
	return ap
}

// withAction spells out the action: protobuf's JSON leaves out ALLOW, the
// zero value, and a reader should not need to know the default.
func withAction(objs []*unstructured.Unstructured, err error) ([]*unstructured.Unstructured, error) {
	for _, u := range objs {
		if err == nil {
			err = unstructured.SetNestedField(u.Object, "ALLOW", "spec", "action")
		}
	}
	return objs, err
}

// PeerAuthenticationStrict is the mesh-level object of an Istio mTLS step:
// STRICT mutual TLS for every workload of the target namespace.
func PeerAuthenticationStrict(t Target) (*unstructured.Unstructured, error) {
	t = t.withDefaults()
	if err := t.validate(); err != nil {
		return nil, err
	}
	pa := &securityv1.PeerAuthentication{
		TypeMeta:   metav1.TypeMeta{APIVersion: "security.istio.io/v1", Kind: "PeerAuthentication"},
		ObjectMeta: t.meta("meshbench-mtls-strict", PolicyMesh),
	}
	pa.Spec.Mtls = &securityapi.PeerAuthentication_MutualTLS{Mode: securityapi.PeerAuthentication_MutualTLS_STRICT}
	return toUnstructured(pa)
}
