package runner

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	authv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// A run killed with SIGKILL cannot clean up; `meshbench cleanup` then
// removes everything it left, by label.
func TestKilledRunIsRemovedByCleanup(t *testing.T) {
	c := labClient(t)
	l := labtest.Up(t)
	bin := filepath.Join(t.TempDir(), "meshbench")
	root, _ := lab.RepoRoot()
	build := exec.Command("go", "build", "-o", bin, "./cmd/meshbench")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	runID := "killed" + newTestID()
	kubeconfig := lab.KubeconfigPath(l.StateDir())
	run := exec.Command(bin, "run", "--kubeconfig", kubeconfig, "--run-id", runID,
		"--policies", "0,20", "--sizes", ".5k", "--requests", "2000", "--rate", "100",
		"--results", filepath.Join(t.TempDir(), "r.json"))
	stderr, err := run.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it while it measures, when it has created everything.
	sc := bufio.NewScanner(stderr)
	killed := false
	for sc.Scan() {
		t.Log(sc.Text())
		if strings.Contains(sc.Text(), "measuring") {
			_ = run.Process.Kill()
			killed = true
			break
		}
	}
	_ = run.Wait()
	if !killed {
		t.Fatal("the run ended before it measured")
	}
	left, err := c.Leftovers(context.Background(), runID)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) == 0 {
		t.Fatal("a killed run left nothing: the test did not kill it mid-run")
	}
	out, err := exec.Command(bin, "cleanup", "--kubeconfig", kubeconfig, "--run", runID).CombinedOutput()
	if err != nil {
		t.Fatalf("cleanup: %v\n%s", err, out)
	}
	t.Logf("cleanup: %s", out)
	assertNothingLeft(t, c, runID)
}

// A user whose RBAC forbids NetworkPolicies is told so before anything is
// created.
func TestRunRefusedByRBACCreatesNothing(t *testing.T) {
	admin := labClient(t)
	ctx := context.Background()
	ns := "meshbench-rbac-" + newTestID()
	if _, err := admin.EnsureNamespace(ctx, ns, "rbac"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.DeleteRun(context.Background(), "rbac") })
	// A service account that may run pods but not create NetworkPolicies.
	labels := cluster.RunLabels("rbac")
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "limited", Namespace: ns, Labels: labels}}
	if _, err := admin.Kube.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: "limited", Namespace: ns, Labels: labels}, Rules: []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "pods/log", "services", "serviceaccounts"}, Verbs: []string{"*"}},
		{APIGroups: []string{"apps"}, Resources: []string{"deployments"}, Verbs: []string{"*"}},
		{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"get", "list"}},
	}}
	if _, err := admin.Kube.RbacV1().Roles(ns).Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "limited", Namespace: ns, Labels: labels},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: "limited"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "limited", Namespace: ns}}}
	if _, err := admin.Kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tok, err := admin.Kube.CoreV1().ServiceAccounts(ns).CreateToken(ctx, "limited", &authv1.TokenRequest{
		Spec: authv1.TokenRequestSpec{ExpirationSeconds: ptr(int64(600))}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := rest.AnonymousClientConfig(admin.Config)
	cfg.BearerToken = tok.Status.Token
	limited, err := cluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rc := smallConfig(t, 0, 10)
	rc.Namespace = ns
	_, err = Run(ctx, limited, rc)
	if err == nil || !strings.Contains(err.Error(), "RBAC forbids") || !strings.Contains(err.Error(), "networkpolicies") {
		t.Fatalf("run without NetworkPolicy rights: err = %v, want RBAC forbids ... networkpolicies", err)
	}
	pods, _ := admin.Kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
	deps, _ := admin.Kube.AppsV1().Deployments(ns).List(ctx, metav1.ListOptions{})
	if len(pods.Items)+len(deps.Items) > 0 {
		t.Errorf("a refused run created %d pods and %d deployments", len(pods.Items), len(deps.Items))
	}
}

func ptr[T any](v T) *T { return &v }
