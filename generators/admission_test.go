package generators

// These tests read the generated objects the way each policy engine does and
// check what a measurement relies on: the allow policy admits the client, no
// decoy does (so without the allow the client is denied), the probe is denied
// once any policy exists, and the control server is never selected. The
// evaluators below cover the fields meshbench writes and fail on any other.

import (
	"encoding/json"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	ciliumapi "github.com/cilium/cilium/pkg/policy/api"
	"github.com/meshbench/meshbench/policies"
	securityv1 "istio.io/client-go/pkg/apis/security/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// pod is one end of a connection.
type pod struct {
	labels         map[string]string
	namespace      string
	ip             netip.Addr
	serviceAccount string
}

// conn is one request of the load: from a pod to a pod's TCP port and path.
type conn struct {
	from, to pod
	port     int
	path     string
}

const ns = "bench"

var (
	server  = pod{map[string]string{policies.LabelRole: policies.RoleServer}, ns, netip.MustParseAddr("10.244.0.2"), "default"}
	control = pod{map[string]string{policies.LabelRole: policies.RoleControl}, ns, netip.MustParseAddr("10.244.0.3"), "default"}
	client  = pod{map[string]string{policies.LabelRole: policies.RoleClient}, ns, netip.MustParseAddr("10.244.0.5"), "meshbench-client"}
	probe   = pod{map[string]string{policies.LabelRole: policies.RoleProbe}, ns, netip.MustParseAddr("10.244.0.6"), "default"}
)

// verdict says whether the objects select the destination and admit c.
type verdict struct{ selected, admitted bool }

func evaluate(t *testing.T, k policies.Kind, objs []*unstructured.Unstructured, c conn) verdict {
	t.Helper()
	switch k {
	case policies.NetworkPolicy:
		return evalNetworkPolicy(t, objs, c)
	case policies.Cilium:
		return evalCilium(t, objs, c)
	case policies.Istio:
		return evalIstio(t, objs, c)
	case policies.Linkerd:
		return evalLinkerd(t, objs, c)
	}
	t.Fatalf("no evaluator for %s", k)
	return verdict{}
}

func TestPoliciesAdmitOnlyTheClient(t *testing.T) {
	load := conn{from: client, to: server, port: 8080, path: "/bytes/512"}
	plans := everyPlan(1, 30)
	noCIDR := Plan{Kind: policies.NetworkPolicy, Shape: policies.ShapeIPBlock, Steps: []int{1, 30}, Namespace: ns, RunID: "run-1"}
	for _, p := range append(plans, noCIDR) {
		t.Run(name(p), func(t *testing.T) {
			objs, err := p.Objects(30)
			if err != nil {
				t.Fatal(err)
			}
			if v := evaluate(t, p.Kind, objs, load); !v.selected || !v.admitted {
				t.Errorf("client→server: %+v; want selected and admitted", v)
			}
			if v := evaluate(t, p.Kind, objs, conn{from: probe, to: server, port: 8080, path: "/bytes/512"}); !v.selected || v.admitted {
				t.Errorf("probe→server: %+v; want selected and denied", v)
			}
			if v := evaluate(t, p.Kind, objs, conn{from: client, to: control, port: 8080, path: "/bytes/512"}); v.selected {
				t.Errorf("client→control: %+v; the control server must not be selected", v)
			}
			// Without the allow policy the decoys must deny the load.
			var decoys []*unstructured.Unstructured
			for _, u := range objs {
				if u.GetLabels()[policies.LabelPolicy] != policies.PolicyAllow {
					decoys = append(decoys, u)
				}
			}
			if v := evaluate(t, p.Kind, decoys, load); !v.selected || v.admitted {
				t.Errorf("client→server without the allow policy: %+v; want selected and denied", v)
			}
			// The allow policy alone is enough.
			one, _ := p.Objects(1)
			if v := evaluate(t, p.Kind, one, load); !v.admitted {
				t.Errorf("step 1: client→server %+v; want admitted", v)
			}
		})
	}
}

func fromUnstructured(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	// Through JSON, so types with their own JSON encoding (Istio's protobuf
	// messages, Cilium's selectors) decode as their engines decode them.
	b, err := json.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

func selects(t *testing.T, sel *metav1.LabelSelector, l map[string]string) bool {
	t.Helper()
	if sel == nil {
		return true
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		t.Fatal(err)
	}
	return s.Matches(labels.Set(l))
}

// evalNetworkPolicy follows the NetworkPolicy API: a pod selected by any
// ingress policy accepts only what one of them admits.
func evalNetworkPolicy(t *testing.T, objs []*unstructured.Unstructured, c conn) (v verdict) {
	nsLabels := map[string]string{corev1.LabelMetadataName: c.from.namespace}
	for _, u := range objs {
		var np networkingv1.NetworkPolicy
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &np); err != nil {
			t.Fatal(err)
		}
		if np.Namespace != c.to.namespace || !selects(t, &np.Spec.PodSelector, c.to.labels) {
			continue
		}
		if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
			t.Fatalf("%s: policyTypes %v; want [Ingress]", np.Name, np.Spec.PolicyTypes)
		}
		v.selected = true
		for _, r := range np.Spec.Ingress {
			portOK := len(r.Ports) == 0
			for _, p := range r.Ports {
				if (p.Protocol == nil || *p.Protocol == corev1.ProtocolTCP) && (p.Port == nil || p.Port.IntValue() == c.port) {
					portOK = true
				}
			}
			peerOK := len(r.From) == 0
			for _, f := range r.From {
				switch {
				case f.IPBlock != nil:
					if netip.MustParsePrefix(f.IPBlock.CIDR).Contains(c.from.ip) {
						peerOK = true
					}
				case f.NamespaceSelector != nil:
					if selects(t, f.NamespaceSelector, nsLabels) && selects(t, f.PodSelector, c.from.labels) {
						peerOK = true
					}
				default:
					if c.from.namespace == np.Namespace && selects(t, f.PodSelector, c.from.labels) {
						peerOK = true
					}
				}
			}
			if portOK && peerOK {
				v.admitted = true
			}
		}
	}
	if !v.selected {
		v.admitted = true
	}
	return v
}

// ciliumSelects matches an endpoint selector's matchLabels; meshbench writes no
// other form, and the test fails if one appears.
func ciliumSelects(t *testing.T, es ciliumapi.EndpointSelector, l map[string]string) bool {
	if es.LabelSelector == nil || len(es.MatchExpressions) != 0 {
		t.Fatalf("endpoint selector %v: want matchLabels only", es)
	}
	for k, want := range es.MatchLabels {
		if l[k] != want {
			return false
		}
	}
	return true
}

func evalCilium(t *testing.T, objs []*unstructured.Unstructured, c conn) (v verdict) {
	for _, u := range objs {
		var cnp policies.CiliumNetworkPolicy
		fromUnstructured(t, u, &cnp)
		if cnp.Namespace != c.to.namespace || !ciliumSelects(t, cnp.Spec.EndpointSelector, c.to.labels) {
			continue
		}
		v.selected = true
		for _, r := range cnp.Spec.Ingress {
			peerOK := false
			for _, es := range r.FromEndpoints {
				if c.from.namespace == cnp.Namespace && ciliumSelects(t, es, c.from.labels) {
					peerOK = true
				}
			}
			for _, pr := range r.ToPorts {
				portOK := false
				for _, pp := range pr.Ports {
					if pp.Port == strconv.Itoa(c.port) && (pp.Protocol == ciliumapi.ProtoTCP || pp.Protocol.IsAny()) {
						portOK = true
					}
				}
				l7OK := pr.Rules == nil || len(pr.Rules.HTTP) == 0
				if pr.Rules != nil {
					for _, h := range pr.Rules.HTTP {
						// Cilium's method and path are anchored regular expressions.
						if fullMatch(t, h.Method, "GET") && fullMatch(t, h.Path, c.path) {
							l7OK = true
						}
					}
				}
				if peerOK && portOK && l7OK {
					v.admitted = true
				}
			}
		}
	}
	if !v.selected {
		v.admitted = true
	}
	return v
}

func fullMatch(t *testing.T, expr, s string) bool {
	if expr == "" {
		return true
	}
	re, err := regexp.Compile("^(?:" + expr + ")$")
	if err != nil {
		t.Fatalf("regexp %q: %v", expr, err)
	}
	return re.MatchString(s)
}

// istioMatch applies Istio's string matching: exact, "prefix*", "*suffix" or "*".
func istioMatch(pattern, s string) bool {
	switch {
	case pattern == "*":
		return true
	case strings.HasSuffix(pattern, "*"):
		return strings.HasPrefix(s, strings.TrimSuffix(pattern, "*"))
	case strings.HasPrefix(pattern, "*"):
		return strings.HasSuffix(s, strings.TrimPrefix(pattern, "*"))
	}
	return pattern == s
}

func anyMatch(patterns []string, s string) bool {
	if len(patterns) == 0 {
		return true
	}
	return slices.ContainsFunc(patterns, func(p string) bool { return istioMatch(p, s) })
}

func evalIstio(t *testing.T, objs []*unstructured.Unstructured, c conn) (v verdict) {
	principal := "cluster.local/ns/" + c.from.namespace + "/sa/" + c.from.serviceAccount
	for _, u := range objs {
		var ap securityv1.AuthorizationPolicy
		fromUnstructured(t, u, &ap)
		if ap.Namespace != c.to.namespace {
			continue
		}
		switch {
		case ap.Spec.Selector != nil:
			if !selects(t, &metav1.LabelSelector{MatchLabels: ap.Spec.Selector.MatchLabels}, c.to.labels) {
				continue
			}
		case len(ap.Spec.TargetRefs) == 1 && ap.Spec.TargetRefs[0].Kind == "Gateway":
			// A waypoint's policy applies to what the waypoint serves: the
			// target server (the run enrols only it behind the waypoint).
			if c.to.labels[policies.LabelRole] != policies.RoleServer {
				continue
			}
		default:
			t.Fatalf("%s: neither a selector nor a waypoint targetRef", ap.Name)
		}
		if ap.Spec.Action.String() != "ALLOW" {
			t.Fatalf("%s: action %s; want ALLOW", ap.Name, ap.Spec.Action)
		}
		v.selected = true
		for _, r := range ap.Spec.Rules {
			fromOK := len(r.From) == 0
			for _, f := range r.From {
				if anyMatch(f.Source.Principals, principal) && anyMatch(f.Source.Namespaces, c.from.namespace) {
					fromOK = true
				}
			}
			toOK := len(r.To) == 0
			for _, to := range r.To {
				op := to.Operation
				if anyMatch(op.Ports, strconv.Itoa(c.port)) && anyMatch(op.Methods, "GET") && anyMatch(op.Paths, c.path) {
					toOK = true
				}
			}
			if fromOK && toOK {
				v.admitted = true
			}
		}
	}
	if !v.selected {
		v.admitted = true
	}
	return v
}

func evalLinkerd(t *testing.T, objs []*unstructured.Unstructured, c conn) (v verdict) {
	identity := c.from.serviceAccount + "." + c.from.namespace + ".serviceaccount.identity.linkerd.cluster.local"
	servers := map[string]bool{} // Servers that select the destination port
	authns := map[string][]string{}
	for _, u := range objs {
		switch u.GetKind() {
		case "Server":
			sel, _, _ := unstructured.NestedStringMap(u.Object, "spec", "podSelector", "matchLabels")
			port, _, _ := unstructured.NestedInt64(u.Object, "spec", "port")
			if selects(t, &metav1.LabelSelector{MatchLabels: sel}, c.to.labels) && int(port) == c.port {
				servers[u.GetName()] = true
				v.selected = true
			}
		case "MeshTLSAuthentication":
			ids, _, _ := unstructured.NestedStringSlice(u.Object, "spec", "identities")
			authns[u.GetName()] = ids
		}
	}
	for _, u := range objs {
		if u.GetKind() != "AuthorizationPolicy" {
			continue
		}
		target, _, _ := unstructured.NestedString(u.Object, "spec", "targetRef", "name")
		if !servers[target] {
			continue
		}
		refs, _, _ := unstructured.NestedSlice(u.Object, "spec", "requiredAuthenticationRefs")
		ok := len(refs) > 0
		for _, r := range refs {
			name := r.(map[string]any)["name"].(string)
			if !slices.Contains(authns[name], identity) {
				ok = false
			}
		}
		if ok {
			v.admitted = true
		}
	}
	if !v.selected {
		v.admitted = true // no Server: the proxy's default policy applies
	}
	return v
}
