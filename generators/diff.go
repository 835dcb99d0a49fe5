package generators

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Diff returns what moving from the objects prev to next requires: apply holds
// the objects of next that prev lacks or holds differently, in next's order;
// remove holds the objects of prev that next lacks, in prev's order. Objects
// are the same when group, kind, namespace and name agree.
func Diff(prev, next []*unstructured.Unstructured) (apply, remove []*unstructured.Unstructured) {
	before := make(map[objectKey]*unstructured.Unstructured, len(prev))
	for _, u := range prev {
		before[keyOf(u)] = u
	}
	after := make(map[objectKey]bool, len(next))
	for _, u := range next {
		k := keyOf(u)
		after[k] = true
		if old, ok := before[k]; !ok || !equality.Semantic.DeepEqual(old.Object, u.Object) {
			apply = append(apply, u)
		}
	}
	for _, u := range prev {
		if !after[keyOf(u)] {
			remove = append(remove, u)
		}
	}
	return apply, remove
}

type objectKey struct{ group, kind, namespace, name string }

func keyOf(u *unstructured.Unstructured) objectKey {
	gvk := u.GroupVersionKind()
	return objectKey{gvk.Group, gvk.Kind, u.GetNamespace(), u.GetName()}
}
