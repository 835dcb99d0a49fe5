package meshes

// Unit tests of detection logic against client-go's fake clientset (an
// in-memory object store, no API server). The same objects are detected on
// the lab's real kube-apiserver in lab_test.go.

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/policies"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
)

func objects(sets ...[]runtime.Object) []runtime.Object {
	var out []runtime.Object
	for _, s := range sets {
		out = append(out, s...)
	}
	return out
}

func detect(t *testing.T, objs ...runtime.Object) Detected {
	t.Helper()
	d, err := Detect(context.Background(), fake.NewClientset(objs...), nil)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDetectIstioAmbient(t *testing.T) {
	d := detect(t, objects(istioAmbientObjects(), kubeRouterObjects())...)
	if d.Istio == nil || d.Istio.Version != "1.31.1-distroless" || d.Istio.Settings["mode"] != "ambient" {
		t.Fatalf("istio = %+v; want version 1.31.1-distroless, mode ambient", d.Istio)
	}
	if err := d.Require(IstioAmbient); err != nil {
		t.Errorf("Require(istio-ambient): %v", err)
	}
	if d.Linkerd != nil || d.Cilium != nil {
		t.Errorf("found linkerd %v cilium %v; want neither", d.Linkerd, d.Cilium)
	}
	if got := d.MeshVersions(); got["istio-ambient"] != "1.31.1-distroless" || len(got) != 1 {
		t.Errorf("MeshVersions = %v", got)
	}
	if d.CNI() != "kube-router" || d.PolicyEngines[0].Version != "v2.10.0" {
		t.Errorf("CNI = %q %+v; want kube-router v2.10.0", d.CNI(), d.PolicyEngines)
	}
	// No pod runs (fake clientset): every workload is noted as not ready.
	if !strings.Contains(strings.Join(d.Notes, "\n"), "ztunnel of istio is not ready") {
		t.Errorf("notes %q; want ztunnel reported not ready", d.Notes)
	}
}

func TestIstioWithoutZtunnelIsNotAmbient(t *testing.T) {
	objs := istioAmbientObjects()[:2] // namespace and istiod only: sidecar mode
	d := detect(t, objs...)
	err := d.Require(IstioAmbient)
	if err == nil || !strings.Contains(err.Error(), "no ztunnel DaemonSet") || d.Istio.Settings["mode"] != "sidecar" {
		t.Errorf("Require(istio-ambient) = %v, mode %q; want no ztunnel, sidecar", err, d.Istio.Settings["mode"])
	}
}

func TestDetectLinkerd(t *testing.T) {
	d := detect(t, linkerdObjects()...)
	if d.Linkerd == nil || d.Linkerd.Version != "stable-2.18.2" || len(d.Linkerd.Components) != 3 {
		t.Fatalf("linkerd = %+v", d.Linkerd)
	}
	if err := d.Require(Linkerd); err != nil {
		t.Error(err)
	}
	// Without the identity service Linkerd cannot issue certificates.
	objs := linkerdObjects()
	d = detect(t, objs[0], objs[1], objs[3])
	if err := d.Require(Linkerd); err == nil || !strings.Contains(err.Error(), "linkerd-identity") {
		t.Errorf("Require(linkerd) without identity = %v; want linkerd-identity named", err)
	}
}

func TestDetectCiliumEncryption(t *testing.T) {
	cases := []struct {
		config     map[string]string
		encryption string
		ok, notOK  Mesh
	}{
		{map[string]string{"enable-wireguard": "true", "kube-proxy-replacement": "true"}, "wireguard", CiliumWireGuard, CiliumIPsec},
		{map[string]string{"enable-ipsec": "true"}, "ipsec", CiliumIPsec, CiliumWireGuard},
		{map[string]string{"enable-wireguard": "false"}, "disabled", Cilium, CiliumWireGuard},
	}
	for _, c := range cases {
		d := detect(t, ciliumObjects(c.config)...)
		if d.Cilium == nil || d.Cilium.Version != "v1.20.2" || d.Cilium.Settings["encryption"] != c.encryption {
			t.Errorf("%v: cilium = %+v; want v1.20.2, encryption %s", c.config, d.Cilium, c.encryption)
			continue
		}
		if kpr := c.config["kube-proxy-replacement"]; d.Cilium.Settings["kube-proxy-replacement"] != kpr {
			t.Errorf("%v: kube-proxy-replacement %q; want %q", c.config, d.Cilium.Settings["kube-proxy-replacement"], kpr)
		}
		if err := d.Require(c.ok); err != nil {
			t.Errorf("%v: Require(%s): %v", c.config, c.ok, err)
		}
		if err := d.Require(c.notOK); err == nil || !strings.Contains(err.Error(), "encryption "+c.encryption) {
			t.Errorf("%v: Require(%s) = %v; want the encryption mode named", c.config, c.notOK, err)
		}
		if d.CNI() != "cilium" {
			t.Errorf("CNI = %q; want cilium", d.CNI())
		}
	}
}

func TestDetectPolicyEngines(t *testing.T) {
	d := detect(t, calicoObjects()...)
	if d.CNI() != "calico" || d.PolicyEngines[0].Version != "v3.31.0" {
		t.Errorf("CNI = %q %+v; want calico v3.31.0", d.CNI(), d.PolicyEngines)
	}
	// The lab: recognised by its Node alone, with a version once it publishes one.
	d = detect(t, labNode())
	if d.CNI() != "kube-router" || d.PolicyEngines[0].Settings["lab"] != "meshbench-lab" || d.PolicyEngines[0].Version != "" {
		t.Errorf("lab by its Node: %+v", d.PolicyEngines)
	}
	d = detect(t, labNode(), labConfigMap())
	if lab := d.PolicyEngines[0]; len(d.PolicyEngines) != 1 || lab.Version != "v2.10.0" || len(lab.Components) != 2 {
		t.Errorf("lab with its ConfigMap: %+v", d.PolicyEngines)
	}
	// Another node is not the lab.
	other := labNode()
	other.Status.NodeInfo.ContainerRuntimeVersion = "containerd://2.1.0"
	if d := detect(t, other); d.CNI() != "" {
		t.Errorf("a containerd node detected as %q", d.CNI())
	}
}

func TestNothingInstalled(t *testing.T) {
	d := detect(t)
	for _, m := range []Mesh{IstioAmbient, Linkerd, Cilium, CiliumWireGuard} {
		err := d.Require(m)
		if err == nil || !strings.Contains(err.Error(), "not installed") {
			t.Errorf("Require(%s) = %v; want 'not installed'", m, err)
		}
	}
	if err := d.Require(None); err != nil {
		t.Errorf("Require(none) = %v", err)
	}
	if d.CNI() != "" || len(d.MeshVersions()) != 0 || d.String() != "no mesh or policy engine recognised" {
		t.Errorf("empty cluster: CNI %q meshes %v string %q", d.CNI(), d.MeshVersions(), d.String())
	}
}

func TestForbiddenReadsAreNoted(t *testing.T) {
	cs := fake.NewClientset(objects(istioAmbientObjects(), kubeRouterObjects())...)
	cs.PrependReactor("list", "deployments", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, apierrors.NewForbidden(schema.GroupResource{Group: "apps", Resource: "deployments"}, "", errors.New("RBAC"))
	})
	d, err := Detect(context.Background(), cs, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d.Istio != nil || !strings.Contains(strings.Join(d.Notes, "\n"), "cannot read deployments in istio-system: forbidden") {
		t.Errorf("istio %v notes %q; want istio unseen and the forbidden read noted", d.Istio, d.Notes)
	}
	// Other failures stop detection.
	cs.PrependReactor("get", "daemonsets", func(a k8stesting.Action) (bool, runtime.Object, error) {
		return true, nil, errors.New("connection refused")
	})
	if _, err := Detect(context.Background(), cs, nil); err == nil {
		t.Error("Detect succeeded though the API server failed")
	}
}

func TestPolicyCRDs(t *testing.T) {
	dyn := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme(),
		crd("authorizationpolicies.security.istio.io"), crd("peerauthentications.security.istio.io"),
		crd("servers.policy.linkerd.io"))
	d, err := Detect(context.Background(), fake.NewClientset(), dyn)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.RequirePolicyKind(policies.Istio); err != nil {
		t.Errorf("istio: %v", err)
	}
	if err := d.RequirePolicyKind(policies.NetworkPolicy); err != nil {
		t.Errorf("networkpolicy: %v", err)
	}
	err = d.RequirePolicyKind(policies.Linkerd)
	if err == nil || !strings.Contains(err.Error(), "meshtlsauthentications.policy.linkerd.io") || strings.Contains(err.Error(), "servers.") {
		t.Errorf("linkerd: %v; want only the missing CRDs named", err)
	}
	if err := d.RequirePolicyKind(policies.Cilium); err == nil {
		t.Error("cilium: accepted without its CRD")
	}
}

func TestImageTag(t *testing.T) {
	for in, want := range map[string]string{
		"quay.io/cilium/cilium:v1.20.2@sha256:abc": "v1.20.2",
		"docker.io/istio/pilot:1.31.1":             "1.31.1",
		"localhost:5000/istio/pilot":               "",
		"localhost:5000/istio/pilot:1.2":           "1.2",
		"pilot":                                    "",
		"":                                         "",
	} {
		if got := imageTag(in); got != want {
			t.Errorf("imageTag(%q) = %q; want %q", in, got, want)
		}
	}
}
