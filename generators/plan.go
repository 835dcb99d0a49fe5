package generators

import (
	"strconv"
	"strings"

	"github.com/meshbench/meshbench/policies"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Plan is a run's policy steps: which kind and shape of policy, how many
// policies at each step, and where they go.
type Plan struct {
	Kind      policies.Kind
	Shape     policies.Shape // "" = the kind's default
	Steps     []int          // policy counts, in the order the run visits them
	Namespace string
	RunID     string
	Port      int // the server port; 0 = 8080

	// ClientCIDR is the client's address range the ipblock shape's allowing
	// policy admits: the client pod's IP as a /32, known once the client runs.
	// Left empty, the allowing policy admits the client pods by label.
	ClientCIDR string
	// ClientServiceAccount is the client pod's service account, whose mesh
	// identity the Istio and Linkerd policies admit; "" = meshbench-client.
	ClientServiceAccount string
	// TrustDomain is the mesh trust domain; "" = cluster.local.
	TrustDomain string
	// Waypoint names the Istio waypoint Gateway for the l7 shape; "" = waypoint.
	Waypoint string
}

// Target returns the policies' view of the plan.
func (p Plan) Target() policies.Target {
	return policies.Target{
		Namespace:            p.Namespace,
		RunID:                p.RunID,
		Port:                 p.Port,
		ClientCIDR:           p.ClientCIDR,
		ClientServiceAccount: p.ClientServiceAccount,
		TrustDomain:          p.TrustDomain,
		Waypoint:             p.Waypoint,
	}
}

// Validate checks every field; the error is a *FieldError naming the flag.
func (p Plan) Validate() error {
	_, err := p.builder()
	return err
}

// builder validates the plan and returns the builder of its kind and shape.
func (p Plan) builder() (policies.Builder, error) {
	kind, err := policies.ParseKind(string(p.Kind))
	if err != nil {
		return nil, fieldErr("--kind", string(p.Kind), "want one of %s", joinKinds())
	}
	shape, err := policies.ParseShape(kind, string(p.Shape))
	if err != nil {
		return nil, fieldErr("--shape", string(p.Shape), "want one of %s for --kind %s", joinShapes(kind), kind)
	}
	if err := checkSteps(p.Steps); err != nil {
		return nil, err
	}
	if err := p.checkTarget(shape); err != nil {
		return nil, err
	}
	b, err := policies.NewBuilder(kind, shape, p.Target())
	if err != nil {
		return nil, err // not reached: checkTarget covers what NewBuilder checks
	}
	for _, n := range p.Steps {
		if n-1 > b.MaxDecoys() {
			return nil, fieldErr(StepsFlag, formatSteps(p.Steps), "step %d exceeds the %d policies shape %s can render", n, b.MaxDecoys()+1, shape)
		}
	}
	return b, nil
}

// checkTarget validates where the objects go and whom they admit.
func (p Plan) checkTarget(shape policies.Shape) error {
	if errs := validation.IsDNS1123Label(p.Namespace); len(errs) > 0 {
		return fieldErr("--namespace", p.Namespace, "want a namespace name: %s", errs[0])
	}
	if p.RunID == "" {
		return fieldErr("--run-id", p.RunID, "want a label value, e.g. 20261122-112500")
	}
	if errs := validation.IsValidLabelValue(p.RunID); len(errs) > 0 {
		return fieldErr("--run-id", p.RunID, "want a label value: %s", errs[0])
	}
	if p.Port < 0 || p.Port > 65535 {
		return fieldErr("--port", strconv.Itoa(p.Port), "want a port number 1-65535")
	}
	if p.ClientServiceAccount != "" {
		if errs := validation.IsDNS1123Subdomain(p.ClientServiceAccount); len(errs) > 0 {
			return fieldErr("--client-service-account", p.ClientServiceAccount, "want a service account name: %s", errs[0])
		}
	}
	if shape == policies.ShapeIPBlock && p.ClientCIDR != "" {
		if _, err := policies.ParseClientCIDR(p.ClientCIDR); err != nil {
			return fieldErr("--client-cidr", p.ClientCIDR, "%v", err)
		}
	}
	return nil
}

// Objects returns every object of a step: none at step 0; otherwise the
// shape's base objects (a deny-all, a Linkerd Server), the allowing policy and
// step-1 decoys, in that order.
func (p Plan) Objects(step int) ([]*unstructured.Unstructured, error) {
	b, err := p.builder()
	if err != nil {
		return nil, err
	}
	if step < 0 || step-1 > b.MaxDecoys() {
		return nil, fieldErr(StepsFlag, strconv.Itoa(step), "want a policy count 0-%d", b.MaxDecoys()+1)
	}
	if step == 0 {
		return nil, nil
	}
	objs, err := b.Base()
	if err != nil {
		return nil, err
	}
	allow, err := b.Allow()
	if err != nil {
		return nil, err
	}
	objs = append(objs, allow...)
	for i := 1; i < step; i++ {
		d, err := b.Decoy(i)
		if err != nil {
			return nil, err
		}
		objs = append(objs, d...)
	}
	return objs, nil
}

// MeshObjects returns the plan kind's mesh-level objects (Istio's
// PeerAuthentication STRICT), applied once for a mesh step, not per policy step.
func (p Plan) MeshObjects() ([]*unstructured.Unstructured, error) {
	if _, err := p.builder(); err != nil {
		return nil, err
	}
	kind, _ := policies.ParseKind(string(p.Kind)) // valid: builder checked it
	return policies.MeshObjects(kind, p.Target())
}

func joinKinds() string {
	var s []string
	for _, k := range policies.Kinds() {
		s = append(s, string(k))
	}
	return strings.Join(s, "|")
}

func joinShapes(k policies.Kind) string {
	var s []string
	for _, sh := range policies.Shapes(k) {
		s = append(s, string(sh))
	}
	return strings.Join(s, "|")
}
