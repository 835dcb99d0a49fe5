package crdvalidate_test

// Tests against the lab's real kube-apiserver: the CRDs install, every
// generated object of every kind is accepted by server-side apply, and the
// objects the offline validator rejects the API server rejects too.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/policies"
	"github.com/meshbench/meshbench/policies/crdvalidate"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/restmapper"
)

func TestMain(m *testing.M) { os.Exit(labtest.Main(m)) }

// labCluster is the lab with every policy kind's CRDs installed and a
// namespace of the test's own.
type labCluster struct {
	dyn       dynamic.Interface
	mapper    meta.RESTMapper
	namespace string
	kinds     map[policies.Kind]bool // kinds whose CRDs are installed
}

func setUpLab(t *testing.T) *labCluster {
	t.Helper()
	l := labtest.Up(t)
	cfg := labtest.RESTConfig(t, l)
	cs := labtest.Client(t, l)
	ext := apiextensionsclient.NewForConfigOrDie(cfg)
	ctx := context.Background()
	runID := fmt.Sprintf("crdtest-%d", time.Now().UnixNano())

	have := map[policies.Kind]bool{policies.NetworkPolicy: true}
	crds := crdsOf(t, have)
	created, err := crdvalidate.Install(ctx, ext, runID, crds...)
	t.Cleanup(func() {
		for _, n := range created {
			ext.ApiextensionsV1().CustomResourceDefinitions().Delete(context.Background(), n, metav1.DeleteOptions{})
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: runID, Labels: map[string]string{
		policies.LabelManagedBy: policies.ManagedBy, policies.LabelRun: runID}}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.CoreV1().Namespaces().Delete(context.Background(), runID, metav1.DeleteOptions{}) })

	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discovery.NewDiscoveryClientForConfigOrDie(cfg)))
	return &labCluster{dyn: dynamic.NewForConfigOrDie(cfg), mapper: mapper, namespace: runID, kinds: have}
}

// crdsOf returns the CRDs of every kind whose files are here, and marks the
// kinds found. A kind without its files is left out with a note (a failure on
// CI), as in the offline tests.
func crdsOf(t *testing.T, have map[policies.Kind]bool) (all []*apiextensionsv1.CustomResourceDefinition) {
	for _, k := range crdKinds {
		crds, err := crdvalidate.CRDs(k)
		if errors.Is(err, crdvalidate.ErrNotFound) && os.Getenv("CI") != "true" {
			t.Logf("leaving out %s: %v", k, err)
			continue
		}
		if err != nil {
			t.Fatalf("%s CRDs: %v", k, err)
		}
		have[k] = true
		all = append(all, crds...)
	}
	return all
}

// apply server-side applies u as `kubectl apply --server-side` does (unknown
// fields are errors: fieldValidation=Strict); dryRun leaves nothing behind.
func (c *labCluster) apply(ctx context.Context, u *unstructured.Unstructured, dryRun bool) error {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return err
	}
	body, err := json.Marshal(u.Object)
	if err != nil {
		return err
	}
	force := true
	opts := metav1.PatchOptions{FieldManager: "meshbench", Force: &force, FieldValidation: "Strict"}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	_, err = c.dyn.Resource(m.Resource).Namespace(u.GetNamespace()).Patch(ctx, u.GetName(), types.ApplyPatchType, body, opts)
	return err
}

func TestGeneratedObjectsAreAcceptedByTheLab(t *testing.T) {
	c := setUpLab(t)
	ctx := context.Background()
	for _, k := range policies.Kinds() {
		if !c.kinds[k] {
			continue
		}
		for _, s := range policies.Shapes(k) {
			p := generators.Plan{Kind: k, Shape: s, Steps: []int{5}, Namespace: c.namespace, RunID: c.namespace, ClientCIDR: "10.244.0.5/32"}
			objs, err := p.Objects(5)
			if err != nil {
				t.Fatal(err)
			}
			mesh, _ := p.MeshObjects()
			// The default shape is stored for real; the others with dry-run=All.
			dryRun := s != policies.DefaultShape(k)
			for _, u := range append(mesh, objs...) {
				if err := c.apply(ctx, u, dryRun); err != nil {
					t.Errorf("%s/%s: %s %s refused: %v", k, s, u.GetKind(), u.GetName(), err)
				}
			}
		}
	}
}

func TestLabRejectsWhatTheValidatorRejects(t *testing.T) {
	c := setUpLab(t)
	ctx := context.Background()
	cases := brokenCases()
	// NetworkPolicy has no CRD: the API server's built-in validation is the
	// only judge, here for a port out of range and a bad selector.
	cases[policies.NetworkPolicy] = map[string][]broken{"NetworkPolicy": {
		{"port out of range", func(u *unstructured.Unstructured) {
			ingress, _, _ := unstructured.NestedSlice(u.Object, "spec", "ingress")
			ingress[0].(map[string]any)["ports"].([]any)[0].(map[string]any)["port"] = int64(70000)
			unstructured.SetNestedSlice(u.Object, ingress, "spec", "ingress")
		}, ""},
		{"bad selector operator", set([]any{map[string]any{"key": "a", "operator": "Maybe"}}, "spec", "podSelector", "matchExpressions"), ""},
		{"bad policy type", set([]any{"Sideways"}, "spec", "policyTypes"), ""},
	}}
	for k, byKind := range cases {
		if !c.kinds[k] {
			continue
		}
		good := validStep(t, k, c.namespace)
		var v *crdvalidate.Validator
		if k != policies.NetworkPolicy {
			v = validatorFor(t, k)
		}
		for kind, bs := range byKind {
			if err := c.apply(ctx, good[kind], true); err != nil {
				t.Fatalf("%s: the valid object is refused: %v", kind, err)
			}
			for _, b := range bs {
				u := good[kind].DeepCopy()
				b.edit(u)
				if err := c.apply(ctx, u, true); err == nil {
					t.Errorf("%s with %s: accepted by kube-apiserver", kind, b.what)
				}
				if v != nil && len(v.Validate(ctx, u)) == 0 {
					t.Errorf("%s with %s: accepted offline", kind, b.what)
				}
			}
		}
	}
}
