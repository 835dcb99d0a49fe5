package cluster

import (
	"context"
	"encoding/json"
	"fmt"

	"golang.org/x/sync/errgroup"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
)

// DefaultWorkers is how many requests Apply and Delete keep in flight. The
// apiserver spends most of a create waiting on etcd, so a few dozen
// concurrent requests multiply the objects per second.
const DefaultWorkers = 32

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// Workers is the number of concurrent requests (DefaultWorkers when 0).
	Workers int
	// DryRun sends every request with dryRun=All: the apiserver validates and
	// admits the objects without storing them.
	DryRun bool
}

// resourceFor maps an object's kind to its resource, failing clearly when the
// cluster does not serve the kind (e.g. Cilium's CRDs are not installed).
func (c *Client) resourceFor(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	m, err := c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		c.Mapper.Reset()
		m, err = c.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	if meta.IsNoMatchError(err) {
		return nil, fmt.Errorf("the cluster does not serve %s (is its CRD installed?)", gvk)
	}
	return m, err
}

func (c *Client) resourceClient(obj *unstructured.Unstructured) (dynamic.ResourceInterface, *meta.RESTMapping, error) {
	m, err := c.resourceFor(obj.GroupVersionKind())
	if err != nil {
		return nil, nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.Dynamic.Resource(m.Resource).Namespace(obj.GetNamespace()), m, nil
	}
	return c.Dynamic.Resource(m.Resource), m, nil
}

// Apply server-side applies objs with field manager "meshbench", Workers
// requests at a time. Every object must carry meshbench's labels, and an
// existing object of the same name that is not meshbench's is left alone and
// reported as an error.
func (c *Client) Apply(ctx context.Context, objs []*unstructured.Unstructured, opt ApplyOptions) error {
	for _, o := range objs {
		if o.GetLabels()[LabelManagedBy] != ManagedByValue {
			return fmt.Errorf("%s %s: missing label %s=%s", o.GetKind(), o.GetName(), LabelManagedBy, ManagedByValue)
		}
	}
	if err := c.refuseForeign(ctx, objs); err != nil {
		return err
	}
	// Strict: a field the cluster's schema does not know is an error, not
	// silently dropped (a policy that lost a rule would measure the wrong thing).
	po := metav1.PatchOptions{FieldManager: FieldManager, Force: ptr(true), FieldValidation: "Strict"}
	if opt.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	return forEach(ctx, objs, opt.Workers, func(ctx context.Context, o *unstructured.Unstructured) error {
		rc, _, err := c.resourceClient(o)
		if err != nil {
			return err
		}
		data, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		if _, err := rc.Patch(ctx, o.GetName(), types.ApplyPatchType, data, po); err != nil {
			return fmt.Errorf("apply %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		return nil
	})
}

// Delete deletes objs one request each (Workers at a time), only those that
// carry meshbench's labels; objects already gone are fine. For a whole run,
// DeleteRun is faster: one request per kind and namespace.
func (c *Client) Delete(ctx context.Context, objs []*unstructured.Unstructured, opt ApplyOptions) error {
	if err := c.refuseForeign(ctx, objs); err != nil {
		return err
	}
	return forEach(ctx, objs, opt.Workers, func(ctx context.Context, o *unstructured.Unstructured) error {
		rc, _, err := c.resourceClient(o)
		if err != nil {
			return err
		}
		err = rc.Delete(ctx, o.GetName(), metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("delete %s %s/%s: %w", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
		return nil
	})
}

// refuseForeign lists, once per kind and namespace, the existing objects that
// objs would overwrite and fails if one of them is not meshbench's.
func (c *Client) refuseForeign(ctx context.Context, objs []*unstructured.Unstructured) error {
	type key struct {
		gvk schema.GroupVersionKind
		ns  string
	}
	names := map[key]map[string]bool{}
	for _, o := range objs {
		k := key{o.GroupVersionKind(), o.GetNamespace()}
		if names[k] == nil {
			names[k] = map[string]bool{}
		}
		names[k][o.GetName()] = true
	}
	for k, want := range names {
		m, err := c.resourceFor(k.gvk)
		if err != nil {
			return err
		}
		var rc dynamic.ResourceInterface = c.Dynamic.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			rc = c.Dynamic.Resource(m.Resource).Namespace(k.ns)
		}
		list, err := rc.List(ctx, metav1.ListOptions{})
		if err != nil {
			if apierrors.IsNotFound(err) {
				continue
			}
			return fmt.Errorf("list %s in %q: %w", m.Resource.Resource, k.ns, err)
		}
		for _, item := range list.Items {
			if want[item.GetName()] && !ownedBy(item.GetLabels(), "") {
				return errNotOwned(k.gvk.Kind, k.ns, item.GetName())
			}
		}
	}
	return nil
}

// forEach runs f for every object with at most workers in flight and returns
// the first error; the others are cancelled.
func forEach(ctx context.Context, objs []*unstructured.Unstructured, workers int, f func(context.Context, *unstructured.Unstructured) error) error {
	if workers <= 0 {
		workers = DefaultWorkers
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, o := range objs {
		g.Go(func() error { return f(ctx, o) })
	}
	return g.Wait()
}

func ptr[T any](v T) *T { return &v }
