package runner

import (
	"context"
	"fmt"
	"strings"

	authv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// checkAccess asks the apiserver, before anything is created, whether the
// user may do what the run needs, so a forbidden run fails at once and
// leaves nothing behind.
func (r *run) checkAccess(ctx context.Context) error {
	policyGRs, err := r.policyResources()
	if err != nil {
		return err
	}
	type need struct{ group, resource, verb, ns string }
	needs := []need{
		{"", "pods", "create", r.ns}, {"", "pods", "delete", r.ns}, {"", "pods/log", "get", r.ns},
		{"", "services", "create", r.ns}, {"apps", "deployments", "create", r.ns},
		{"", "pods", "deletecollection", r.ns},
	}
	if r.cfg.Namespace == "" {
		needs = append(needs, need{"", "namespaces", "create", ""}, need{"", "namespaces", "delete", ""})
	}
	for _, gr := range policyGRs {
		needs = append(needs, need{gr.Group, gr.Resource, "create", r.ns}, need{gr.Group, gr.Resource, "patch", r.ns},
			need{gr.Group, gr.Resource, "deletecollection", r.ns})
	}
	var denied []string
	for _, n := range needs {
		review := &authv1.SelfSubjectAccessReview{Spec: authv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authv1.ResourceAttributes{Group: n.group, Resource: n.resource, Verb: n.verb, Namespace: n.ns},
		}}
		res, err := r.c.Kube.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("checking permissions: %w", err)
		}
		if !res.Status.Allowed {
			what := n.resource
			if n.group != "" {
				what += "." + n.group
			}
			denied = append(denied, n.verb+" "+what)
		}
	}
	if len(denied) > 0 {
		return fmt.Errorf("RBAC forbids what the run needs in namespace %q: %s", r.ns, strings.Join(denied, ", "))
	}
	return nil
}

// policyResources are the resources of the objects the plan's largest step
// creates, mapped through the cluster's discovery: a kind whose CRD is not
// installed fails here, before anything is created.
func (r *run) policyResources() ([]schema.GroupResource, error) {
	largest := 0
	for _, s := range r.cfg.Plan.Steps {
		largest = max(largest, s)
	}
	objs, err := r.cfg.Plan.Objects(largest)
	if err != nil {
		return nil, err
	}
	seen := map[schema.GroupResource]bool{}
	var out []schema.GroupResource
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := r.c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return nil, fmt.Errorf("the cluster does not serve %s (is its CRD installed?): %w", gvk.GroupKind(), err)
		}
		gr := m.Resource.GroupResource()
		if !seen[gr] {
			seen[gr] = true
			out = append(out, gr)
		}
	}
	return out, nil
}
