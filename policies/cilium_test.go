package policies

import (
	"encoding/json"
	"testing"

	"github.com/cilium/cilium/pkg/option"
	"github.com/cilium/cilium/pkg/policy/api"
)

// Cilium's agent sanitizes every rule before enforcing it; it checks what the
// CRD schema cannot (port ranges, L7 rules on their protocol).
func TestCiliumRulesPassTheAgentsChecks(t *testing.T) {
	option.Config.EnableL7Proxy = true // as in a default Cilium install
	for _, s := range Shapes(Cilium) {
		b, err := NewBuilder(Cilium, s, Target{Namespace: "bench", RunID: "r", Port: 65535})
		if err != nil {
			t.Fatal(err)
		}
		allow, _ := b.Allow()
		objs := allow
		for _, i := range []int{1, 2, b.MaxDecoys()} {
			d, err := b.Decoy(i)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, d...)
		}
		for _, u := range objs {
			var cnp CiliumNetworkPolicy
			raw, _ := json.Marshal(u.Object)
			if err := json.Unmarshal(raw, &cnp); err != nil {
				t.Fatal(err)
			}
			if err := cnp.Spec.Sanitize(); err != nil {
				t.Errorf("%s %s: %v", s, u.GetName(), err)
			}
		}
	}
	bad := &api.Rule{
		EndpointSelector: api.NewESFromMatchRequirements(serverLabels(), nil),
		Ingress: []api.IngressRule{{
			IngressCommonRule: api.IngressCommonRule{FromEndpoints: []api.EndpointSelector{api.NewESFromMatchRequirements(clientLabels(), nil)}},
			ToPorts:           api.PortRules{{Ports: []api.PortProtocol{{Port: "70000", Protocol: api.ProtoTCP}}}},
		}},
	}
	if err := bad.Sanitize(); err == nil {
		t.Error("port 70000 passed Sanitize")
	}
}
