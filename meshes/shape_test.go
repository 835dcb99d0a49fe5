package meshes

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/policies"
)

// HTTP rules are refused on the lab's Cilium, which has no Envoy, with one
// line naming --shape and the shapes it can enforce; a real Cilium (found by
// its DaemonSet, no lab record) and other shapes are left alone.
func TestRequireShapeRefusesL7OnLabCilium(t *testing.T) {
	labCilium := Detected{Cilium: &Installation{Name: "cilium", Version: "v1.20.2", Settings: map[string]string{LabL7ProxyKey: "false"}}}
	err := labCilium.RequireShape(policies.Cilium, policies.ShapeL7)
	var se *ShapeError
	if !errors.As(err, &se) {
		t.Fatalf("l7 on the lab's Cilium: got %v, want a *ShapeError", err)
	}
	for _, want := range []string{"--shape l7", "v1.20.2", "L7 proxy", "--shape ports"} {
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("refusal %q: want one line saying %q", err, want)
		}
	}
	for _, s := range []policies.Shape{policies.ShapePorts, policies.ShapePeers, ""} {
		if err := labCilium.RequireShape(policies.Cilium, s); err != nil {
			t.Errorf("shape %q on the lab's Cilium refused: %v", s, err)
		}
	}
	real := Detected{Cilium: &Installation{Name: "cilium", Version: "v1.20.2", Settings: map[string]string{"encryption": "disabled"}}}
	if err := real.RequireShape(policies.Cilium, policies.ShapeL7); err != nil {
		t.Errorf("l7 on a real cluster's Cilium refused: %v", err)
	}
}
