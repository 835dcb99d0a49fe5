package meshes

import (
	"fmt"
	"strings"
)

// Mesh names a mesh configuration a run measures.
type Mesh string

// The configurations.
const (
	None         Mesh = "none"          // no mesh: the baseline
	IstioAmbient Mesh = "istio-ambient" // Istio's ambient mode (ztunnel, mTLS at L4)
	Linkerd      Mesh = "linkerd"       // Linkerd's sidecar proxies (mTLS)
	// Cilium is Cilium as the CNI, with whatever encryption it is configured for.
	Cilium Mesh = "cilium"
	// CiliumWireGuard and CiliumIPsec require that encryption mode.
	CiliumWireGuard Mesh = "cilium-wireguard"
	CiliumIPsec     Mesh = "cilium-ipsec"
)

// Meshes returns every configuration in a stable order.
func Meshes() []Mesh {
	return []Mesh{None, IstioAmbient, Linkerd, Cilium, CiliumWireGuard, CiliumIPsec}
}

// ParseMesh returns the configuration named s.
func ParseMesh(s string) (Mesh, error) {
	m := Mesh(strings.ToLower(strings.TrimSpace(s)))
	for _, known := range Meshes() {
		if m == known {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown mesh %q: want one of %s", s, joinMeshes())
}

// ParseMeshes parses a comma-separated list such as "none,istio-ambient",
// each listed once.
func ParseMeshes(s string) ([]Mesh, error) {
	var out []Mesh
	seen := map[Mesh]bool{}
	for _, f := range strings.Split(s, ",") {
		m, err := ParseMesh(f)
		if err != nil {
			return nil, err
		}
		if seen[m] {
			return nil, fmt.Errorf("mesh %q listed twice", m)
		}
		seen[m] = true
		out = append(out, m)
	}
	return out, nil
}

func joinMeshes() string {
	var s []string
	for _, m := range Meshes() {
		s = append(s, string(m))
	}
	return strings.Join(s, "|")
}

// Labels and annotations of enrolment.
const (
	// AmbientLabel on a namespace puts its pods in Istio's ambient mesh.
	AmbientLabel      = "istio.io/dataplane-mode"
	AmbientLabelValue = "ambient"
	// AmbientRedirection is the annotation istio-cni sets on a pod once its
	// traffic is redirected through ztunnel.
	AmbientRedirection        = "ambient.istio.io/redirection"
	AmbientRedirectionEnabled = "enabled"

	// LinkerdInject on a namespace makes Linkerd's injector add its proxy to
	// new pods.
	LinkerdInject        = "linkerd.io/inject"
	LinkerdInjectEnabled = "enabled"
	// LinkerdProxy is the name of the proxy container Linkerd injects.
	LinkerdProxy = "linkerd-proxy"
)
