package cluster_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/policies"
)

// These tests talk to the lab's real kube-apiserver and etcd.

func TestGeneratedPoliciesPassServerSideValidation(t *testing.T) {
	c := labClient(t)
	ctx := context.Background()
	ns := "meshbench-dryrun"
	if _, err := c.EnsureNamespace(ctx, ns, "dryrun"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = c.DeleteRun(context.Background(), "dryrun") })
	for _, shape := range policies.Shapes(policies.NetworkPolicy) {
		plan := generators.Plan{Kind: "networkpolicy", Shape: shape, Steps: []int{50}, Namespace: ns, RunID: "dryrun", Port: cluster.ServerPort,
			ClientCIDR: "10.244.0.99/32"}
		objs, err := plan.Objects(50)
		if err != nil {
			t.Fatalf("shape %s: %v", shape, err)
		}
		if err := c.Apply(ctx, objs, cluster.ApplyOptions{DryRun: true}); err != nil {
			t.Errorf("shape %s: the apiserver refused the generated policies: %v", shape, err)
		}
	}
	// dry-run stored nothing
	list, err := c.Kube.NetworkingV1().NetworkPolicies(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 0 {
		t.Errorf("dry-run stored %d policies", len(list.Items))
	}
}

func TestApplyRefusesToTakeOverAForeignObject(t *testing.T) {
	c := labClient(t)
	ctx := context.Background()
	ns := "meshbench-foreign-test"
	if _, err := c.Kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Kube.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
	plan := generators.Plan{Kind: "networkpolicy", Steps: []int{3}, Namespace: ns, RunID: "foreign", Port: cluster.ServerPort}
	objs, err := plan.Objects(3)
	if err != nil {
		t.Fatal(err)
	}
	// A user's policy that happens to have the name of one of meshbench's.
	user := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: objs[0].GetName(), Namespace: ns, Labels: map[string]string{"team": "a"}}}
	if _, err := c.Kube.NetworkingV1().NetworkPolicies(ns).Create(ctx, user, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err = c.Apply(ctx, objs, cluster.ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "not meshbench's") {
		t.Fatalf("apply over a user's policy: err = %v, want a refusal", err)
	}
	// Nothing was created, and the user's policy is untouched.
	got, err := c.Kube.NetworkingV1().NetworkPolicies(ns).Get(ctx, user.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Labels[cluster.LabelManagedBy] != "" || got.Labels["team"] != "a" {
		t.Errorf("user's policy changed: labels %v", got.Labels)
	}
	// Cleanup of every meshbench run leaves the user's policy alone.
	if _, err := c.DeleteRun(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Kube.NetworkingV1().NetworkPolicies(ns).Get(ctx, user.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("cleanup removed a user's policy: %v", err)
	}
}

func TestDeleteRunRemovesOnlyThatRun(t *testing.T) {
	c := labClient(t)
	ctx := context.Background()
	for _, id := range []string{"keep", "drop"} {
		ns := "meshbench-del-" + id
		if _, err := c.EnsureNamespace(ctx, ns, "del-"+id); err != nil {
			t.Fatal(err)
		}
		plan := generators.Plan{Kind: "networkpolicy", Steps: []int{20}, Namespace: ns, RunID: "del-" + id, Port: cluster.ServerPort}
		objs, _ := plan.Objects(20)
		if err := c.Apply(ctx, objs, cluster.ApplyOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { _, _ = c.DeleteRun(context.Background(), "del-keep") })
	if _, err := c.DeleteRun(ctx, "del-drop"); err != nil {
		t.Fatal(err)
	}
	if left, _ := c.Leftovers(ctx, "del-drop"); len(left) != 0 {
		t.Errorf("left of the deleted run: %v", left)
	}
	kept, _ := c.Kube.NetworkingV1().NetworkPolicies("meshbench-del-keep").List(ctx, metav1.ListOptions{})
	if len(kept.Items) != 20 {
		t.Errorf("the other run has %d policies, want 20", len(kept.Items))
	}
}
