package runner

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// shippedRole is deploy/rbac.yaml's ClusterRole.
func shippedRole(t *testing.T) *rbacv1.ClusterRole {
	t.Helper()
	root, _ := lab.RepoRoot()
	b, err := os.ReadFile(filepath.Join(root, "deploy", "rbac.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var role rbacv1.ClusterRole
	if err := yaml.UnmarshalStrict(b, &role); err != nil {
		t.Fatalf("deploy/rbac.yaml: %v", err)
	}
	return &role
}

// userBoundTo creates role under name, binds a user of that name to it
// alone, and returns a client acting as that user (impersonated by the
// lab's admin); both go when the test ends.
func userBoundTo(t *testing.T, role *rbacv1.ClusterRole, name string) *cluster.Client {
	t.Helper()
	ctx := context.Background()
	admin := labtest.Client(t, labtest.Up(t))
	role = role.DeepCopy()
	role.ObjectMeta = metav1.ObjectMeta{Name: name}
	if _, err := admin.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: "User", Name: name}},
	}
	if _, err := admin.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = admin.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
		_ = admin.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	cfg := rest.CopyConfig(labtest.RESTConfig(t, labtest.Up(t)))
	// system:authenticated gives every user the right to ask what it may
	// do (SelfSubjectAccessReview), as on any cluster.
	cfg.Impersonate = rest.ImpersonationConfig{UserName: name, Groups: []string{"system:authenticated"}}
	c, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A user bound only to the shipped ClusterRole runs the study; with one of
// its rules gone (deleting policies in bulk), the run is refused before
// anything is created and names what is missing.
func TestShippedRBACIsEnoughAndEveryRuleCounts(t *testing.T) {
	admin := labClient(t)
	role := shippedRole(t)

	cfg := smallConfig(t, 0, 5)
	if _, err := Run(context.Background(), userBoundTo(t, role, "meshbench-rbac-test"), cfg); err != nil {
		t.Fatalf("a user bound to deploy/rbac.yaml could not run the study: %v", err)
	}
	assertNothingLeft(t, admin, cfg.RunID)

	less := role.DeepCopy()
	for i, r := range less.Rules {
		if slices.Contains(r.Resources, "networkpolicies") {
			less.Rules[i].Verbs = slices.DeleteFunc(slices.Clone(r.Verbs), func(v string) bool { return v == "deletecollection" })
		}
	}
	cfg = smallConfig(t, 0, 5)
	_, err := Run(context.Background(), userBoundTo(t, less, "meshbench-rbac-less"), cfg)
	if err == nil || !strings.Contains(err.Error(), "RBAC forbids") || !strings.Contains(err.Error(), "deletecollection networkpolicies") {
		t.Fatalf("run without deletecollection on networkpolicies: %v; want it refused, naming the missing permission", err)
	}
	assertNothingLeft(t, admin, cfg.RunID)
	if _, err := admin.Kube.CoreV1().Namespaces().Get(context.Background(), "meshbench-"+cfg.RunID, metav1.GetOptions{}); err == nil {
		t.Errorf("the refused run created its namespace")
	}
}
