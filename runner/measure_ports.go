package runner

import (
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/policies"
)

// admitStreamPort makes each step's allowing policy admit the client on the
// servers' stream port too, so throughput and round trips reach the target
// through the same policies as its HTTP requests: the decoys still select
// the target, and new stream connections are checked against all of them.
// It replaces the allowing objects in objs with changed copies.
//
// NetworkPolicy and CiliumNetworkPolicy get the port as a plain TCP port
// (no HTTP rules: streams are not HTTP), an Istio AuthorizationPolicy a rule
// of its own for the same principals. A Linkerd Server covers only the HTTP
// port, so Linkerd's policies do not govern the stream port at all.
func admitStreamPort(objs []*unstructured.Unstructured) {
	for i, u := range objs {
		if u.GetLabels()[policies.LabelPolicy] != policies.PolicyAllow {
			continue
		}
		c := u.DeepCopy()
		switch c.GetKind() {
		case "NetworkPolicy":
			eachRule(c, []string{"spec", "ingress"}, func(rule map[string]any) {
				if ports, ok := rule["ports"].([]any); ok {
					rule["ports"] = append(ports, map[string]any{"protocol": "TCP", "port": int64(cluster.StreamPort)})
				}
			})
		case "CiliumNetworkPolicy":
			eachRule(c, []string{"spec", "ingress"}, func(rule map[string]any) {
				if to, ok := rule["toPorts"].([]any); ok {
					rule["toPorts"] = append(to, map[string]any{"ports": []any{
						map[string]any{"port": strconv.Itoa(cluster.StreamPort), "protocol": "TCP"}}})
				}
			})
		case "AuthorizationPolicy":
			if c.GroupVersionKind().Group != "security.istio.io" {
				continue
			}
			rules, _, _ := unstructured.NestedSlice(c.Object, "spec", "rules")
			var extra []any
			for _, r := range rules {
				if rule, ok := r.(map[string]any); ok {
					n := map[string]any{"to": []any{map[string]any{"operation": map[string]any{
						"ports": []any{strconv.Itoa(cluster.StreamPort)}}}}}
					if from, ok := rule["from"]; ok {
						n["from"] = from
					}
					extra = append(extra, n)
				}
			}
			if len(extra) > 0 {
				_ = unstructured.SetNestedSlice(c.Object, append(rules, extra...), "spec", "rules")
			}
		default:
			continue
		}
		objs[i] = c
	}
}

// eachRule calls f on every map of the list at path in u, in place.
func eachRule(u *unstructured.Unstructured, path []string, f func(map[string]any)) {
	list, found, err := unstructured.NestedSlice(u.Object, path...)
	if !found || err != nil {
		return
	}
	for _, r := range list {
		if rule, ok := r.(map[string]any); ok {
			f(rule)
		}
	}
	_ = unstructured.SetNestedSlice(u.Object, list, path...)
}
