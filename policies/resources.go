package policies

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resources lists the API resources a kind's objects live in, so a cleanup can
// delete a run's objects by label selector in bulk, resource by resource.
func Resources(k Kind) []schema.GroupVersionResource {
	switch k {
	case NetworkPolicy:
		return []schema.GroupVersionResource{{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies"}}
	case Cilium:
		return []schema.GroupVersionResource{{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies"}}
	case Istio:
		return []schema.GroupVersionResource{
			{Group: "security.istio.io", Version: "v1", Resource: "authorizationpolicies"},
			{Group: "security.istio.io", Version: "v1", Resource: "peerauthentications"},
		}
	case Linkerd:
		return []schema.GroupVersionResource{
			{Group: linkerdGroup, Version: "v1alpha1", Resource: "authorizationpolicies"},
			{Group: linkerdGroup, Version: "v1alpha1", Resource: "meshtlsauthentications"},
			{Group: linkerdGroup, Version: "v1beta3", Resource: "servers"},
		}
	}
	return nil
}

// MeshObjects returns a kind's mesh-level objects for target t: the
// configuration of a mesh step, applied once for the whole run rather than per
// policy step. Istio: PeerAuthentication STRICT for the namespace. Linkerd
// (mTLS is always on between meshed pods) and Cilium (encryption is chosen at
// install time) have none.
func MeshObjects(k Kind, t Target) ([]*unstructured.Unstructured, error) {
	if k != Istio {
		return nil, nil
	}
	pa, err := PeerAuthenticationStrict(t)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{pa}, nil
}
