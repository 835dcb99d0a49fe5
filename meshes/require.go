package meshes

import (
	"fmt"
	"sort"
	"strings"

	"github.com/meshbench/meshbench/policies"
)

// Require returns nil when the cluster runs mesh m, else an error that says
// what is missing.
func (d Detected) Require(m Mesh) error {
	switch m {
	case None:
		return nil
	case IstioAmbient:
		if d.Istio == nil {
			return fmt.Errorf("mesh %s: Istio is not installed (no istiod Deployment in %s)", m, istiodNamespace)
		}
		if d.Istio.Component("ztunnel") == nil {
			return fmt.Errorf("mesh %s: Istio %s runs without ambient mode (no ztunnel DaemonSet in %s)", m, orUnknown(d.Istio.Version), strings.Join(istioNamespaces, " or "))
		}
		return nil
	case Linkerd:
		if d.Linkerd == nil {
			return fmt.Errorf("mesh %s: Linkerd is not installed (no linkerd-destination or linkerd-identity Deployment in namespace linkerd)", m)
		}
		var missing []string
		for _, n := range []string{"linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"} {
			if d.Linkerd.Component(n) == nil {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("mesh %s: Linkerd's control plane lacks the Deployment(s) %s in namespace linkerd", m, strings.Join(missing, ", "))
		}
		return nil
	case Cilium, CiliumWireGuard, CiliumIPsec:
		if d.Cilium == nil {
			return fmt.Errorf("mesh %s: Cilium is not installed (no cilium DaemonSet in %s)", m, strings.Join(ciliumNamespaces, " or "))
		}
		want := map[Mesh]string{CiliumWireGuard: "wireguard", CiliumIPsec: "ipsec"}[m]
		if want == "" {
			return nil
		}
		got, ok := d.Cilium.Settings["encryption"]
		if !ok {
			return fmt.Errorf("mesh %s: cannot tell Cilium's encryption mode (ConfigMap cilium-config not readable)", m)
		}
		if got != want {
			return fmt.Errorf("mesh %s: Cilium %s has encryption %s, not %s (set enable-%s in cilium-config)", m, orUnknown(d.Cilium.Version), got, want, want)
		}
		return nil
	}
	return fmt.Errorf("unknown mesh %q: want one of %s", m, joinMeshes())
}

// RequirePolicyKind returns nil when the cluster can hold policies of kind k:
// their CRDs are installed (Detect must have had a dynamic client).
func (d Detected) RequirePolicyKind(k policies.Kind) error {
	if k == policies.NetworkPolicy {
		return nil
	}
	if d.CRDs == nil {
		return fmt.Errorf("policy kind %s: CRDs were not looked up", k)
	}
	var missing []string
	for _, r := range policies.Resources(k) {
		if n := r.Resource + "." + r.Group; !d.CRDs[n] {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("policy kind %s: CustomResourceDefinition(s) %s not installed", k, strings.Join(missing, ", "))
	}
	return nil
}

// CNI names the policy engines found, e.g. "kube-router", comma-separated;
// "" when none was recognised.
func (d Detected) CNI() string {
	var s []string
	for _, e := range d.PolicyEngines {
		s = append(s, e.Name)
	}
	return strings.Join(s, ",")
}

// MeshVersions maps each mesh configuration the cluster offers to the mesh's
// version, e.g. {"istio-ambient": "1.31.1", "cilium-wireguard": "v1.20.2"}.
func (d Detected) MeshVersions() map[string]string {
	out := map[string]string{}
	for _, m := range Meshes() {
		if m == None || d.Require(m) != nil {
			continue
		}
		var v string
		switch m {
		case IstioAmbient:
			v = d.Istio.Version
		case Linkerd:
			v = d.Linkerd.Version
		default:
			v = d.Cilium.Version
		}
		out[string(m)] = v
	}
	return out
}

// String summarises the detection in one line per installation.
func (d Detected) String() string {
	var lines []string
	add := func(i *Installation) {
		if i == nil {
			return
		}
		var settings []string
		for k, v := range i.Settings {
			settings = append(settings, k+"="+v)
		}
		sort.Strings(settings)
		lines = append(lines, strings.TrimSpace(fmt.Sprintf("%s %s %s", i.Name, orUnknown(i.Version), strings.Join(settings, " "))))
	}
	add(d.Istio)
	add(d.Linkerd)
	for i := range d.PolicyEngines {
		add(&d.PolicyEngines[i])
	}
	if d.Network != nil {
		lines = append(lines, d.Network.String())
	}
	if len(lines) == 0 {
		return "no mesh or policy engine recognised"
	}
	return strings.Join(lines, "\n")
}

func orUnknown(v string) string {
	if v == "" {
		return "(version unknown)"
	}
	return v
}
