package generators

import (
	"testing"

	"github.com/meshbench/meshbench/policies"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestDiffBetweenSteps(t *testing.T) {
	for _, p := range everyPlan(0, 10, 50) {
		t.Run(name(p), func(t *testing.T) {
			s0, _ := p.Objects(0)
			s10, _ := p.Objects(10)
			s50, err := p.Objects(50)
			if err != nil {
				t.Fatal(err)
			}
			per := perPolicy(p.Kind)

			// Up: only the 40 new decoys; nothing removed.
			apply, remove := Diff(s10, s50)
			if len(apply) != 40*per || len(remove) != 0 {
				t.Fatalf("10→50: apply %d remove %d; want apply %d remove 0", len(apply), len(remove), 40*per)
			}
			if c := count(apply); c[policies.PolicyDecoy] != len(apply) {
				t.Errorf("10→50 applies %v; want decoys only", c)
			}
			// Step 10 ⊆ step 50: everything applied is new.
			old := map[objectKey]bool{}
			for _, u := range s10 {
				old[keyOf(u)] = true
			}
			for _, u := range apply {
				if old[keyOf(u)] {
					t.Errorf("10→50 re-applies %s %s", u.GetKind(), u.GetName())
				}
			}

			// Down: the same 40 removed, nothing applied.
			apply, remove = Diff(s50, s10)
			if len(apply) != 0 || len(remove) != 40*per {
				t.Fatalf("50→10: apply %d remove %d; want apply 0 remove %d", len(apply), len(remove), 40*per)
			}
			// From and back to nothing.
			apply, remove = Diff(s0, s10)
			if len(apply) != len(s10) || len(remove) != 0 {
				t.Errorf("0→10: apply %d remove %d; want %d and 0", len(apply), len(remove), len(s10))
			}
			apply, remove = Diff(s10, nil)
			if len(apply) != 0 || len(remove) != len(s10) {
				t.Errorf("10→0: apply %d remove %d; want 0 and %d", len(apply), len(remove), len(s10))
			}
			if apply, remove = Diff(s50, s50); len(apply)+len(remove) != 0 {
				t.Errorf("50→50: apply %d remove %d; want nothing", len(apply), len(remove))
			}
		})
	}
}

func TestDiffReappliesChangedObjects(t *testing.T) {
	// The ports shape: its decoys name ports of their own, so a new server
	// port changes the allowing policy alone.
	a := Plan{Kind: policies.NetworkPolicy, Shape: policies.ShapePorts, Steps: []int{5}, Namespace: "bench", RunID: "r", Port: 8080}
	b := a
	b.Port = 9090 // the allow policy changes; the decoys keep their ports
	prev, _ := a.Objects(5)
	next, _ := b.Objects(5)
	apply, remove := Diff(prev, next)
	if len(remove) != 0 || len(apply) != 1 || apply[0].GetName() != "meshbench-np-allow" {
		var names []string
		for _, u := range apply {
			names = append(names, u.GetName())
		}
		t.Errorf("port change: apply %v remove %d; want only meshbench-np-allow", names, len(remove))
	}
	// Same name, other kind: a different object.
	u := prev[0].DeepCopy()
	u.SetKind("CiliumNetworkPolicy")
	u.SetAPIVersion("cilium.io/v2")
	apply, remove = Diff(prev[:1], []*unstructured.Unstructured{u})
	if len(apply) != 1 || len(remove) != 1 {
		t.Errorf("kind change: apply %d remove %d; want 1 and 1", len(apply), len(remove))
	}
}
