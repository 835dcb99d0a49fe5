package policies

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// A Builder renders the policy objects of one kind and shape for one target.
// The objects of step N > 0 are Base, Allow and Decoy(1..N-1); step 0 has none.
type Builder interface {
	// Base returns the objects every step > 0 holds once besides its
	// policies (a deny-all, a Linkerd Server); often none.
	Base() ([]*unstructured.Unstructured, error)
	// Allow returns the policy that admits the client on the server port.
	Allow() ([]*unstructured.Unstructured, error)
	// Decoy returns policy i (1 <= i <= MaxDecoys): it selects the server
	// but matches none of the traffic the load or the probe sends.
	Decoy(i int) ([]*unstructured.Unstructured, error)
	// MaxDecoys is the largest i Decoy accepts.
	MaxDecoys() int
}

// NewBuilder returns the builder of kind k and shape s ("" = the kind's
// default) for target t.
func NewBuilder(k Kind, s Shape, t Target) (Builder, error) {
	s, err := ParseShape(k, string(s))
	if err != nil {
		return nil, err
	}
	t = t.withDefaults()
	if err := t.validate(); err != nil {
		return nil, err
	}
	switch k {
	case NetworkPolicy:
		return newNetworkPolicyBuilder(s, t)
	case Cilium:
		return &ciliumBuilder{shape: s, t: t}, nil
	case Istio:
		return &istioBuilder{shape: s, t: t}, nil
	case Linkerd:
		return &linkerdBuilder{t: t}, nil
	}
	return nil, fmt.Errorf("unknown policy kind %q", k)
}

// checkDecoy rejects decoy numbers a builder cannot render.
func checkDecoy(b Builder, i int) error {
	if i < 1 || i > b.MaxDecoys() {
		return fmt.Errorf("decoy %d out of range 1-%d", i, b.MaxDecoys())
	}
	return nil
}

// toUnstructured converts a typed object (with TypeMeta set) to the
// unstructured form the cluster client applies.
func toUnstructured(obj any) (*unstructured.Unstructured, error) {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	// A zero metav1.Time converts to null; it is noise in generated YAML.
	if md, ok := m["metadata"].(map[string]any); ok {
		if ts, found := md["creationTimestamp"]; found && ts == nil {
			delete(md, "creationTimestamp")
		}
	}
	// Status belongs to the controllers; an empty one is noise too.
	if st, ok := m["status"].(map[string]any); ok && len(st) == 0 {
		delete(m, "status")
	}
	return &unstructured.Unstructured{Object: m}, nil
}

// one wraps a single conversion as a list.
func one(obj any) ([]*unstructured.Unstructured, error) {
	u, err := toUnstructured(obj)
	if err != nil {
		return nil, err
	}
	return []*unstructured.Unstructured{u}, nil
}
