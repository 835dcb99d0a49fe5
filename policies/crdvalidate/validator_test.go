package crdvalidate_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/policies/crdvalidate"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// validatorFor loads a kind's CRDs, skipping (never on CI) where the files are
// not on this machine.
func validatorFor(t *testing.T, k policies.Kind) *crdvalidate.Validator {
	t.Helper()
	v, err := crdvalidate.ForKind(k)
	if errors.Is(err, crdvalidate.ErrNotFound) && os.Getenv("CI") != "true" {
		t.Skipf("%s CRDs not available: %v", k, err)
	}
	if err != nil {
		t.Fatalf("%s CRDs: %v", k, err)
	}
	return v
}

var crdKinds = []policies.Kind{policies.Cilium, policies.Istio, policies.Linkerd}

func TestEveryGeneratedObjectValidates(t *testing.T) {
	ctx := context.Background()
	for _, k := range crdKinds {
		t.Run(string(k), func(t *testing.T) {
			v := validatorFor(t, k)
			for _, s := range policies.Shapes(k) {
				p := generators.Plan{Kind: k, Shape: s, Steps: []int{25}, Namespace: "bench", RunID: "run-1"}
				objs, err := p.Objects(25)
				if err != nil {
					t.Fatal(err)
				}
				mesh, err := p.MeshObjects()
				if err != nil {
					t.Fatal(err)
				}
				for _, u := range append(mesh, objs...) {
					if errs := v.Validate(ctx, u); len(errs) > 0 {
						t.Errorf("%s/%s: %s %s rejected: %v", k, s, u.GetKind(), u.GetName(), errs.ToAggregate())
					}
				}
			}
		})
	}
}

// broken is an object made invalid on purpose and the words its error must hold.
type broken struct {
	what string
	edit func(u *unstructured.Unstructured)
	want string
}

func set(value any, path ...string) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		if err := unstructured.SetNestedField(u.Object, value, path...); err != nil {
			panic(err)
		}
	}
}

// ingressPorts edits the first port of a CiliumNetworkPolicy.
func ciliumPort(field string, value any) func(*unstructured.Unstructured) {
	return func(u *unstructured.Unstructured) {
		ingress, _, _ := unstructured.NestedSlice(u.Object, "spec", "ingress")
		rule := ingress[0].(map[string]any)
		port := rule["toPorts"].([]any)[0].(map[string]any)["ports"].([]any)[0].(map[string]any)
		port[field] = value
		unstructured.SetNestedSlice(u.Object, ingress, "spec", "ingress")
	}
}

// brokenCases are invalid objects by policy kind and object kind; the offline
// validator and the lab's kube-apiserver must both reject them.
func brokenCases() map[policies.Kind]map[string][]broken {
	return map[policies.Kind]map[string][]broken{
		policies.Cilium: {
			"CiliumNetworkPolicy": {
				// The CRD's port pattern is not anchored as a whole and lets
				// 70000 through; Cilium's agent rejects it (see the policies tests).
				{"negative port", ciliumPort("port", "-1"), "spec.ingress[0].toPorts[0].ports[0].port"},
				{"unknown protocol", ciliumPort("protocol", "FOO"), "protocol"},
				{"end port out of range", ciliumPort("endPort", int64(70000)), "endPort"},
				{"bad selector operator", set([]any{map[string]any{"key": "a", "operator": "Maybe"}}, "spec", "endpointSelector", "matchExpressions"), "operator"},
				{"no spec (CEL: spec or specs)", func(u *unstructured.Unstructured) { delete(u.Object, "spec") }, "spec or specs must be provided"},
				{"unknown field", set("x", "spec", "ingressTypo"), "unknown field"},
				{"bad name", func(u *unstructured.Unstructured) { u.SetName("Not_A_Name") }, "metadata.name"},
			},
		},
		policies.Istio: {
			"AuthorizationPolicy": {
				{"selector and targetRefs (CEL)", set([]any{map[string]any{"kind": "Gateway", "group": "gateway.networking.k8s.io", "name": "waypoint"}}, "spec", "targetRefs"), "only one of targetRefs or selector"},
				{"wildcard label value (CEL)", set(map[string]any{"meshbench.io/role": "serv*"}, "spec", "selector", "matchLabels"), "wildcard not allowed"},
				{"unknown action", set("PERMIT", "spec", "action"), "spec.action"},
				{"unknown field", set("x", "spec", "rulez"), "unknown field"},
			},
			"PeerAuthentication": {
				{"unknown mTLS mode", set("SOMETIMES", "spec", "mtls", "mode"), "spec.mtls.mode"},
			},
		},
		policies.Linkerd: {
			"Server": {
				{"no port", func(u *unstructured.Unstructured) { unstructured.RemoveNestedField(u.Object, "spec", "port") }, "spec.port"},
				{"two selectors (oneOf)", set(map[string]any{"matchLabels": map[string]any{"a": "b"}}, "spec", "externalWorkloadSelector"), "spec"},
				{"bad selector operator", set([]any{map[string]any{"key": "a", "operator": "Maybe"}}, "spec", "podSelector", "matchExpressions"), "operator"},
			},
			"AuthorizationPolicy": {
				{"empty target kind", set("", "spec", "targetRef", "kind"), "spec.targetRef.kind"},
				{"no authentications", func(u *unstructured.Unstructured) {
					unstructured.RemoveNestedField(u.Object, "spec", "requiredAuthenticationRefs")
				}, "requiredAuthenticationRefs"},
			},
			"MeshTLSAuthentication": {
				{"no identities", set([]any{}, "spec", "identities"), "spec.identities"},
				{"unknown field", set("x", "spec", "identity"), "unknown field"},
			},
		},
	}
}

// validStep returns the objects of a step of kind k (default shape) with its
// mesh-level objects, by object kind.
func validStep(t *testing.T, k policies.Kind, namespace string) map[string]*unstructured.Unstructured {
	t.Helper()
	p := generators.Plan{Kind: k, Steps: []int{2}, Namespace: namespace, RunID: "run-1"}
	objs, err := p.Objects(2)
	if err != nil {
		t.Fatal(err)
	}
	mesh, _ := p.MeshObjects()
	byKind := map[string]*unstructured.Unstructured{}
	for _, u := range append(mesh, objs...) {
		byKind[u.GetKind()] = u
	}
	return byKind
}

func TestInvalidObjectsAreRejected(t *testing.T) {
	ctx := context.Background()
	cases := brokenCases()
	for _, k := range crdKinds {
		t.Run(string(k), func(t *testing.T) {
			v := validatorFor(t, k)
			byKind := validStep(t, k, "bench")
			for kind, bs := range cases[k] {
				good := byKind[kind]
				if good == nil {
					t.Fatalf("no %s generated", kind)
				}
				for _, b := range bs {
					u := good.DeepCopy()
					b.edit(u)
					errs := v.Validate(ctx, u)
					if len(errs) == 0 {
						t.Errorf("%s with %s: accepted", kind, b.what)
						continue
					}
					if msg := errs.ToAggregate().Error(); !strings.Contains(msg, b.want) {
						t.Errorf("%s with %s: %s; want an error about %q", kind, b.what, msg, b.want)
					}
				}
			}
		})
	}
}

func TestUnknownKindsAndVersionsAreRejected(t *testing.T) {
	v := validatorFor(t, policies.Cilium)
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetAPIVersion("cilium.io/v9")
	u.SetKind("CiliumNetworkPolicy")
	u.SetName("x")
	u.SetNamespace("bench")
	if errs := v.Validate(context.Background(), u); len(errs) == 0 {
		t.Error("cilium.io/v9 accepted")
	}
}

func TestCRDsForEveryKind(t *testing.T) {
	want := map[policies.Kind][]string{
		policies.NetworkPolicy: nil, // built in
		policies.Cilium:        {"ciliumnetworkpolicies.cilium.io"},
		policies.Istio:         {"authorizationpolicies.security.istio.io", "peerauthentications.security.istio.io"},
		policies.Linkerd:       {"servers.policy.linkerd.io", "authorizationpolicies.policy.linkerd.io", "meshtlsauthentications.policy.linkerd.io"},
	}
	for k, names := range want {
		crds, err := crdvalidate.CRDs(k)
		if errors.Is(err, crdvalidate.ErrNotFound) && os.Getenv("CI") != "true" {
			t.Logf("%s: skipped: %v", k, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		have := map[string]bool{}
		for _, c := range crds {
			have[c.Name] = true
		}
		for _, n := range names {
			if !have[n] {
				t.Errorf("%s: CRD %s missing among %d", k, n, len(crds))
			}
		}
		// Every resource a cleanup deletes by label has its CRD here.
		for _, r := range policies.Resources(k) {
			if k != policies.NetworkPolicy && !have[r.Resource+"."+r.Group] {
				t.Errorf("%s: no CRD for resource %s", k, r)
			}
		}
	}
}
