package policies

import (
	"fmt"
	"slices"
	"strings"
)

// Kind names a policy kind.
type Kind string

// The policy kinds meshbench renders.
const (
	NetworkPolicy Kind = "networkpolicy"
	Cilium        Kind = "cilium"
	Istio         Kind = "istio"
	Linkerd       Kind = "linkerd"
)

// Shape names the form of a kind's decoy policies (see the package comment).
type Shape string

// The shapes.
const (
	ShapePorts      Shape = "ports"
	ShapePeers      Shape = "peers"
	ShapeIPBlock    Shape = "ipblock"
	ShapeNamespace  Shape = "namespace"
	ShapeDenyAll    Shape = "deny-all"
	ShapeL7         Shape = "l7"
	ShapePrincipals Shape = "principals"
	ShapeIdentities Shape = "identities"
)

// shapes lists each kind's shapes, the default first.
var shapes = map[Kind][]Shape{
	NetworkPolicy: {ShapePeers, ShapePorts, ShapeIPBlock, ShapeNamespace, ShapeDenyAll},
	Cilium:        {ShapePeers, ShapePorts, ShapeL7},
	Istio:         {ShapePorts, ShapePrincipals, ShapeL7},
	Linkerd:       {ShapeIdentities},
}

// Kinds returns every kind in a stable order.
func Kinds() []Kind { return []Kind{NetworkPolicy, Cilium, Istio, Linkerd} }

// ParseKind returns the kind named s.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := shapes[k]; !ok {
		return "", fmt.Errorf("unknown policy kind %q: want one of %s", s, joinKinds())
	}
	return k, nil
}

// Shapes returns the shapes of kind k, the default first.
func Shapes(k Kind) []Shape { return slices.Clone(shapes[k]) }

// DefaultShape returns the shape used when none is asked for.
func DefaultShape(k Kind) Shape {
	if s := shapes[k]; len(s) > 0 {
		return s[0]
	}
	return ""
}

// ParseShape returns the shape s of kind k; "" means the default.
func ParseShape(k Kind, s string) (Shape, error) {
	if _, ok := shapes[k]; !ok {
		return "", fmt.Errorf("unknown policy kind %q: want one of %s", k, joinKinds())
	}
	if s == "" {
		return DefaultShape(k), nil
	}
	sh := Shape(strings.ToLower(strings.TrimSpace(s)))
	if !slices.Contains(shapes[k], sh) {
		return "", fmt.Errorf("unknown shape %q for kind %s: want one of %s", s, k, joinShapes(k))
	}
	return sh, nil
}

func joinKinds() string {
	var s []string
	for _, k := range Kinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, "|")
}

func joinShapes(k Kind) string {
	var s []string
	for _, sh := range shapes[k] {
		s = append(s, string(sh))
	}
	return strings.Join(s, "|")
}
