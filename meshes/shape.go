package meshes

import (
	"fmt"

	"github.com/meshbench/meshbench/policies"
)

// ShapeError is a policy shape the cluster's engine cannot enforce: bad
// input, refused before anything is created.
type ShapeError struct{ Msg string }

func (e *ShapeError) Error() string { return e.Msg }

// RequireShape returns a *ShapeError when policies of kind k and shape s
// cannot be enforced by what the cluster runs: HTTP rules (l7) of
// CiliumNetworkPolicies need Cilium's L7 proxy, which the lab's Cilium runs
// without. Real clusters are not second-guessed.
func (d Detected) RequireShape(k policies.Kind, s policies.Shape) error {
	if k != policies.Cilium || s != policies.ShapeL7 || d.Cilium == nil {
		return nil
	}
	if d.Cilium.Settings[LabL7ProxyKey] == "false" {
		return &ShapeError{fmt.Sprintf("--shape %s: the lab's Cilium %s runs without its L7 proxy (no Envoy here), so it cannot enforce HTTP rules; use --shape %s or %s",
			s, orUnknown(d.Cilium.Version), policies.ShapePorts, policies.ShapePeers)}
	}
	return nil
}
