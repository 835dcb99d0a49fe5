package policies

import (
	"net/netip"
	"testing"

	networkingv1 "k8s.io/api/networking/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// NetworkPolicy's own validation lives in k8s.io/kubernetes, which this module
// cannot import; the lab's kube-apiserver checks the generated objects with
// dry-run. This checks the structure offline: the typed API knows every field
// (strict conversion), selectors, ports and CIDRs are well formed.
func TestNetworkPoliciesAreWellFormed(t *testing.T) {
	for _, s := range Shapes(NetworkPolicy) {
		b, err := NewBuilder(NetworkPolicy, s, Target{Namespace: "bench", RunID: "r", ClientCIDR: "10.244.0.5/32"})
		if err != nil {
			t.Fatal(err)
		}
		objs, _ := b.Base()
		allow, _ := b.Allow()
		objs = append(objs, allow...)
		for _, i := range []int{1, 2, b.MaxDecoys()} {
			d, err := b.Decoy(i)
			if err != nil {
				t.Fatal(err)
			}
			objs = append(objs, d...)
		}
		for _, u := range objs {
			var np networkingv1.NetworkPolicy
			if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &np, true); err != nil {
				t.Fatalf("%s %s: %v", s, u.GetName(), err)
			}
			if errs := validation.IsDNS1123Subdomain(np.Name); len(errs) > 0 {
				t.Errorf("%s: name %q: %v", s, np.Name, errs)
			}
			opts := metav1validation.LabelSelectorValidationOptions{}
			errs := metav1validation.ValidateLabelSelector(&np.Spec.PodSelector, opts, field.NewPath("spec", "podSelector"))
			if len(np.Spec.PolicyTypes) != 1 || np.Spec.PolicyTypes[0] != networkingv1.PolicyTypeIngress || len(np.Spec.Egress) != 0 {
				t.Errorf("%s %s: policyTypes %v egress %v; want ingress only", s, np.Name, np.Spec.PolicyTypes, np.Spec.Egress)
			}
			for _, r := range np.Spec.Ingress {
				for _, p := range r.Ports {
					if p.Port == nil || p.Port.IntValue() < 1 || p.Port.IntValue() > 65535 || p.Protocol == nil || *p.Protocol != "TCP" {
						t.Errorf("%s %s: port %v; want a TCP port 1-65535", s, np.Name, p)
					}
				}
				for _, f := range r.From {
					if f.PodSelector != nil {
						errs = append(errs, metav1validation.ValidateLabelSelector(f.PodSelector, opts, field.NewPath("podSelector"))...)
					}
					if f.NamespaceSelector != nil {
						errs = append(errs, metav1validation.ValidateLabelSelector(f.NamespaceSelector, opts, field.NewPath("namespaceSelector"))...)
					}
					if f.IPBlock != nil {
						if p, err := netip.ParsePrefix(f.IPBlock.CIDR); err != nil || p.Masked() != p {
							t.Errorf("%s %s: ipBlock %q is not a CIDR", s, np.Name, f.IPBlock.CIDR)
						}
						if f.PodSelector != nil || f.NamespaceSelector != nil {
							t.Errorf("%s %s: ipBlock combined with a selector", s, np.Name)
						}
					}
				}
			}
			if len(errs) > 0 {
				t.Errorf("%s %s: %v", s, np.Name, errs.ToAggregate())
			}
		}
	}
}
