package generators

import (
	"errors"
	"fmt"
	"testing"

	"github.com/meshbench/meshbench/policies"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// everyPlan returns a valid plan for each kind and shape.
func everyPlan(steps ...int) []Plan {
	var plans []Plan
	for _, k := range policies.Kinds() {
		for _, s := range policies.Shapes(k) {
			plans = append(plans, Plan{
				Kind: k, Shape: s, Steps: steps, Namespace: "bench", RunID: "run-1",
				ClientCIDR: "10.244.0.5/32",
			})
		}
	}
	return plans
}

func name(p Plan) string { return fmt.Sprintf("%s/%s", p.Kind, p.Shape) }

func TestValidateNamesTheFlag(t *testing.T) {
	ok := Plan{Kind: policies.NetworkPolicy, Steps: []int{0, 10}, Namespace: "bench", RunID: "r1"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid plan: %v", err)
	}
	cases := []struct {
		flag string
		edit func(*Plan)
	}{
		{"--kind", func(p *Plan) { p.Kind = "calico" }},
		{"--shape", func(p *Plan) { p.Shape = "l7" }}, // not a NetworkPolicy shape
		{"--shape", func(p *Plan) { p.Kind, p.Shape = policies.Linkerd, "ports" }},
		{"--policies", func(p *Plan) { p.Steps = nil }},
		{"--policies", func(p *Plan) { p.Steps = []int{0, -1} }},
		{"--policies", func(p *Plan) { p.Steps = []int{10, 0, 10} }},
		{"--policies", func(p *Plan) { p.Shape, p.Steps = policies.ShapePorts, []int{0, 60000} }}, // beyond the ports 10000-65535
		{"--policies", func(p *Plan) { p.Steps = []int{0, 100002} }},                              // beyond any shape's decoys
		{"--namespace", func(p *Plan) { p.Namespace = "" }},
		{"--namespace", func(p *Plan) { p.Namespace = "Bench_1" }},
		{"--run-id", func(p *Plan) { p.RunID = "" }},
		{"--run-id", func(p *Plan) { p.RunID = "a b" }},
		{"--port", func(p *Plan) { p.Port = 70000 }},
		{"--port", func(p *Plan) { p.Port = -1 }},
		{"--client-service-account", func(p *Plan) { p.ClientServiceAccount = "Not_Valid" }},
		{"--client-cidr", func(p *Plan) { p.Shape, p.ClientCIDR = policies.ShapeIPBlock, "10.0.0.300/32" }},
		{"--client-cidr", func(p *Plan) { p.Shape, p.ClientCIDR = policies.ShapeIPBlock, "10.0.0.1/8" }},
		{"--client-cidr", func(p *Plan) { p.Shape, p.ClientCIDR = policies.ShapeIPBlock, "198.18.0.0/16" }},
	}
	for _, c := range cases {
		p := ok
		p.Steps = append([]int(nil), ok.Steps...)
		c.edit(&p)
		err := p.Validate()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Flag != c.flag {
			t.Errorf("%+v: Validate() = %v; want an error naming %s", p, err, c.flag)
			continue
		}
		if _, oerr := p.Objects(1); oerr == nil {
			t.Errorf("%+v: Objects succeeded on an invalid plan", p)
		}
	}
	// ipblock without a client CIDR admits the client by label.
	p0 := ok
	p0.Shape = policies.ShapeIPBlock
	if err := p0.Validate(); err != nil {
		t.Errorf("ipblock without a client CIDR: Validate() = %v", err)
	}
	// A bare address is a /32.
	p := ok
	p.Shape, p.ClientCIDR = policies.ShapeIPBlock, "10.244.0.5"
	if err := p.Validate(); err != nil {
		t.Errorf("ipblock with a bare address: %v", err)
	}
}

// count tallies a step's objects by their meshbench.io/policy label.
func count(objs []*unstructured.Unstructured) map[string]int {
	n := map[string]int{}
	for _, u := range objs {
		n[u.GetLabels()[policies.LabelPolicy]]++
	}
	return n
}

// perPolicy is how many objects one policy takes (Linkerd: a
// MeshTLSAuthentication and an AuthorizationPolicy).
func perPolicy(k policies.Kind) int {
	if k == policies.Linkerd {
		return 2
	}
	return 1
}

func TestObjectsFollowTheStep(t *testing.T) {
	for _, p := range everyPlan(0, 1, 10, 50) {
		t.Run(name(p), func(t *testing.T) {
			if objs, err := p.Objects(0); err != nil || len(objs) != 0 {
				t.Fatalf("step 0: %d objects, %v; want none", len(objs), err)
			}
			for _, n := range []int{1, 10, 50} {
				objs, err := p.Objects(n)
				if err != nil {
					t.Fatal(err)
				}
				c := count(objs)
				per := perPolicy(p.Kind)
				if c[policies.PolicyAllow] != per || c[policies.PolicyDecoy] != (n-1)*per {
					t.Errorf("step %d: %d allow and %d decoy objects; want %d and %d", n, c[policies.PolicyAllow], c[policies.PolicyDecoy], per, (n-1)*per)
				}
				wantBase := 0
				if p.Kind == policies.Linkerd || p.Shape == policies.ShapeDenyAll {
					wantBase = 1
				}
				if c[policies.PolicyBase] != wantBase || len(objs) != c[policies.PolicyAllow]+c[policies.PolicyDecoy]+wantBase {
					t.Errorf("step %d: objects by role %v; want %d base object(s) and nothing else", n, c, wantBase)
				}
				seen := map[objectKey]bool{}
				for _, u := range objs {
					l := u.GetLabels()
					if l[policies.LabelManagedBy] != "meshbench" || l[policies.LabelRun] != "run-1" || u.GetNamespace() != "bench" {
						t.Errorf("%s %s: labels %v namespace %q; want managed-by meshbench, run run-1, namespace bench", u.GetKind(), u.GetName(), l, u.GetNamespace())
					}
					if seen[keyOf(u)] {
						t.Errorf("%s %s appears twice", u.GetKind(), u.GetName())
					}
					seen[keyOf(u)] = true
				}
			}
		})
	}
}

func TestObjectsAreDeterministic(t *testing.T) {
	for _, p := range everyPlan(20) {
		a, err := p.Objects(20)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := p.Objects(20)
		if apply, remove := Diff(a, b); len(apply)+len(remove) != 0 {
			t.Errorf("%s: two renderings of step 20 differ in %d objects", name(p), len(apply)+len(remove))
		}
	}
	np := Plan{Kind: policies.NetworkPolicy, Steps: []int{3}, Namespace: "bench", RunID: "r"}
	objs, _ := np.Objects(3)
	var names []string
	for _, u := range objs {
		names = append(names, u.GetName())
	}
	if fmt.Sprint(names) != "[meshbench-np-allow meshbench-np-0001 meshbench-np-0002]" {
		t.Errorf("names %v; want meshbench-np-allow, meshbench-np-0001, meshbench-np-0002", names)
	}
}
