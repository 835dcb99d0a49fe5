package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Kinds meshbench creates, in the order a cleanup removes them: policies
// first (so the data plane drops their rules), then workloads.
var Kinds = []schema.GroupKind{
	{Group: "networking.k8s.io", Kind: "NetworkPolicy"},
	{Group: "cilium.io", Kind: "CiliumNetworkPolicy"},
	{Group: "security.istio.io", Kind: "AuthorizationPolicy"},
	{Group: "security.istio.io", Kind: "PeerAuthentication"},
	{Group: "policy.linkerd.io", Kind: "AuthorizationPolicy"},
	{Group: "policy.linkerd.io", Kind: "MeshTLSAuthentication"},
	{Group: "policy.linkerd.io", Kind: "Server"},
	{Group: "apps", Kind: "Deployment"},
	{Group: "", Kind: "Pod"},
	{Group: "", Kind: "Service"},
	{Group: "", Kind: "ServiceAccount"},
}

// DeleteRun removes every object of run id (of every run when id is empty)
// by label selector, with one DeleteCollection per kind and namespace, then
// the namespaces meshbench created, and waits until they are gone or ctx
// ends. Kinds the cluster does not serve are skipped. It returns how many
// objects it found.
func (c *Client) DeleteRun(ctx context.Context, runID string) (int, error) {
	sel := RunSelector(runID)
	found := 0
	var errs []error
	for _, gk := range Kinds {
		m, err := c.Mapper.RESTMapping(gk)
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		n, err := c.deleteCollection(ctx, m.Resource, sel)
		found += n
		if err != nil {
			errs = append(errs, err)
		}
	}
	nsList, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		errs = append(errs, fmt.Errorf("list namespaces: %w", err))
	} else {
		for _, ns := range nsList.Items {
			found++
			if ns.DeletionTimestamp != nil {
				continue
			}
			if err := c.Kube.CoreV1().Namespaces().Delete(ctx, ns.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("delete namespace %s: %w", ns.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return found, errors.Join(errs...)
	}
	return found, c.WaitRunGone(ctx, runID)
}

// deleteCollection deletes the objects matching sel of one resource in every
// namespace that holds some.
func (c *Client) deleteCollection(ctx context.Context, gvr schema.GroupVersionResource, sel string) (int, error) {
	list, err := c.Dynamic.Resource(gvr).List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		if apierrors.IsNotFound(err) || apierrors.IsMethodNotSupported(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("list %s: %w", gvr.Resource, err)
	}
	namespaces := map[string]bool{}
	for _, item := range list.Items {
		namespaces[item.GetNamespace()] = true
	}
	for ns := range namespaces {
		err := c.Dynamic.Resource(gvr).Namespace(ns).DeleteCollection(ctx,
			metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: sel})
		if err != nil && !apierrors.IsNotFound(err) {
			return len(list.Items), fmt.Errorf("delete %s in %s: %w", gvr.Resource, ns, err)
		}
	}
	return len(list.Items), nil
}

// Leftovers lists what is left of run id (every run when empty), as
// "kind namespace/name" strings.
func (c *Client) Leftovers(ctx context.Context, runID string) ([]string, error) {
	sel := RunSelector(runID)
	var left []string
	for _, gk := range Kinds {
		m, err := c.Mapper.RESTMapping(gk)
		if meta.IsNoMatchError(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		list, err := c.Dynamic.Resource(m.Resource).List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return nil, err
		}
		for _, item := range list.Items {
			left = append(left, fmt.Sprintf("%s %s/%s", gk.Kind, item.GetNamespace(), item.GetName()))
		}
	}
	nsList, err := c.Kube.CoreV1().Namespaces().List(ctx, metav1.ListOptions{LabelSelector: sel})
	if err != nil {
		return nil, err
	}
	for _, ns := range nsList.Items {
		left = append(left, "Namespace "+ns.Name)
	}
	sort.Strings(left)
	return left, nil
}

// WaitRunGone polls until nothing of run id is left.
func (c *Client) WaitRunGone(ctx context.Context, runID string) error {
	var left []string
	err := wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		var err error
		left, err = c.Leftovers(ctx, runID)
		return err == nil && len(left) == 0, nil
	})
	if err != nil {
		return fmt.Errorf("still present after cleanup: %v", left)
	}
	return nil
}
