package meshes

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/policies"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
)

// Component is one object an installation consists of.
type Component struct {
	Kind      string `json:"kind"` // Deployment, DaemonSet, ConfigMap, Node
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	Image     string `json:"image,omitempty"` // the main container's image (workloads only)
	// Ready says the workload runs everywhere it should (all replicas or
	// scheduled pods ready); Pods says how many, e.g. "1/1".
	Ready bool   `json:"ready"`
	Pods  string `json:"pods,omitempty"`
}

func (c Component) String() string { return fmt.Sprintf("%s %s/%s", c.Kind, c.Namespace, c.Name) }

// Installation is one mesh, CNI or policy engine found in the cluster.
type Installation struct {
	Name       string      `json:"name"`              // istio, linkerd, cilium, kube-router, calico
	Version    string      `json:"version,omitempty"` // from image tags or labels; "" when unknown
	Components []Component `json:"components"`
	// Settings are what the configuration says, e.g. Istio "mode": "ambient";
	// Cilium "encryption": "wireguard", "kube-proxy-replacement": "true".
	Settings map[string]string `json:"settings,omitempty"`
}

// Component returns the installation's component called name, or nil.
func (i *Installation) Component(name string) *Component {
	if i == nil {
		return nil
	}
	for k := range i.Components {
		if i.Components[k].Name == name {
			return &i.Components[k]
		}
	}
	return nil
}

// Detected is what Detect found.
type Detected struct {
	Istio   *Installation `json:"istio,omitempty"` // nil when absent
	Linkerd *Installation `json:"linkerd,omitempty"`
	Cilium  *Installation `json:"cilium,omitempty"`
	// PolicyEngines are the CNIs or NetworkPolicy engines found: cilium,
	// calico, kube-router, or the meshbench lab's kube-router (Settings
	// "lab": "meshbench-lab").
	PolicyEngines []Installation `json:"policyEngines,omitempty"`
	// CRDs maps the CRDs of the policy kinds (and Gateway API's, for Istio's
	// waypoints) to whether they are installed.
	CRDs map[string]bool `json:"crds,omitempty"`
	// Network is how pods reach other nodes, where the nodes announce it.
	Network *Network `json:"network,omitempty"`
	// Notes say what could not be read (RBAC) or is not ready.
	Notes []string `json:"notes,omitempty"`
}

// Where each installation lives, by its upstream charts and manifests.
var (
	istiodNamespace   = "istio-system"
	istioNamespaces   = []string{"istio-system", "kube-system"} // ztunnel, istio-cni
	linkerdNamespaces = []string{"linkerd"}
	ciliumNamespaces  = []string{"kube-system", "cilium"}
	calicoNamespaces  = []string{"calico-system", "kube-system"}
)

// gatewayCRD is Gateway API's Gateway, which Istio's waypoints are.
const gatewayCRD = "gateways.gateway.networking.k8s.io"

var crdGVR = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// Detect reads the objects meshes and CNIs install. It never changes the
// cluster. What it may not read (RBAC) it notes and skips; dyn may be nil, then
// CRDs are not looked at.
func Detect(ctx context.Context, cs kubernetes.Interface, dyn dynamic.Interface) (Detected, error) {
	f := &finder{cs: cs}
	var d Detected
	var err error
	if d.Istio, err = f.istio(ctx); err != nil {
		return d, err
	}
	if d.Linkerd, err = f.linkerd(ctx); err != nil {
		return d, err
	}
	if d.Cilium, err = f.cilium(ctx); err != nil {
		return d, err
	}
	if d.Cilium != nil {
		d.PolicyEngines = append(d.PolicyEngines, *d.Cilium)
	}
	engines, err := f.policyEngines(ctx)
	if err != nil {
		return d, err
	}
	d.PolicyEngines = append(d.PolicyEngines, engines...)
	if d.Network, err = f.network(ctx); err != nil {
		return d, err
	}
	if d.Cilium == nil {
		// The lab's Cilium runs as host processes, not a DaemonSet; its
		// record stands for the DaemonSet and cilium-config.
		for i := range engines {
			if engines[i].Name == "cilium" {
				c := engines[i]
				d.Cilium = &c
			}
		}
	}
	if dyn != nil {
		if d.CRDs, err = f.crds(ctx, dyn); err != nil {
			return d, err
		}
	}
	for _, inst := range []*Installation{d.Istio, d.Linkerd, d.Cilium} {
		if inst == nil {
			continue
		}
		for _, c := range inst.Components {
			if (c.Kind == "Deployment" || c.Kind == "DaemonSet") && !c.Ready {
				f.note("%s of %s is not ready (%s pods)", c, inst.Name, c.Pods)
			}
		}
	}
	d.Notes = f.notes
	return d, nil
}

// finder reads objects, turning "forbidden" into a note.
type finder struct {
	cs    kubernetes.Interface
	notes []string
}

func (f *finder) note(format string, a ...any) { f.notes = append(f.notes, fmt.Sprintf(format, a...)) }

// readable sorts a read's error: nil and NotFound are fine, Forbidden is
// noted, anything else fails detection.
func (f *finder) readable(err error, what string) (bool, error) {
	switch {
	case err == nil:
		return true, nil
	case apierrors.IsNotFound(err):
		return false, nil
	case apierrors.IsForbidden(err):
		f.note("cannot read %s: forbidden", what)
		return false, nil
	}
	return false, fmt.Errorf("reading %s: %w", what, err)
}

// deployments returns the Deployments of namespace whose name matches.
func (f *finder) deployments(ctx context.Context, namespace string, match func(string) bool) ([]appsv1.Deployment, error) {
	list, err := f.cs.AppsV1().Deployments(namespace).List(ctx, metav1.ListOptions{})
	if ok, err := f.readable(err, "deployments in "+namespace); !ok {
		return nil, err
	}
	return slices.DeleteFunc(list.Items, func(d appsv1.Deployment) bool { return !match(d.Name) }), nil
}

// daemonSet returns the first DaemonSet called name in namespaces, or nil.
func (f *finder) daemonSet(ctx context.Context, namespaces []string, name string) (*appsv1.DaemonSet, error) {
	for _, ns := range namespaces {
		ds, err := f.cs.AppsV1().DaemonSets(ns).Get(ctx, name, metav1.GetOptions{})
		if ok, err := f.readable(err, fmt.Sprintf("DaemonSet %s/%s", ns, name)); err != nil {
			return nil, err
		} else if ok {
			return ds, nil
		}
	}
	return nil, nil
}

func deploymentComponent(d *appsv1.Deployment, container string) Component {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	return Component{
		Kind: "Deployment", Namespace: d.Namespace, Name: d.Name,
		Image: image(d.Spec.Template.Spec.Containers, container),
		Ready: want > 0 && d.Status.ReadyReplicas >= want,
		Pods:  fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, want),
	}
}

func daemonSetComponent(ds *appsv1.DaemonSet, container string) Component {
	return Component{
		Kind: "DaemonSet", Namespace: ds.Namespace, Name: ds.Name,
		Image: image(ds.Spec.Template.Spec.Containers, container),
		Ready: ds.Status.DesiredNumberScheduled > 0 && ds.Status.NumberReady >= ds.Status.DesiredNumberScheduled,
		Pods:  fmt.Sprintf("%d/%d", ds.Status.NumberReady, ds.Status.DesiredNumberScheduled),
	}
}

// istio finds istiod (also revisioned, istiod-<rev>) and, for ambient mode,
// ztunnel and istio-cni-node.
func (f *finder) istio(ctx context.Context) (*Installation, error) {
	ds, err := f.deployments(ctx, istiodNamespace, func(n string) bool { return n == "istiod" || strings.HasPrefix(n, "istiod-") })
	if err != nil || len(ds) == 0 {
		return nil, err
	}
	inst := &Installation{Name: "istio", Settings: map[string]string{}}
	for i := range ds {
		c := deploymentComponent(&ds[i], "discovery")
		inst.Components = append(inst.Components, c)
		if inst.Version == "" {
			inst.Version = firstNonEmpty(imageTag(c.Image), ds[i].Labels["operator.istio.io/version"], ds[i].Labels["app.kubernetes.io/version"])
		}
	}
	for _, name := range []string{"ztunnel", "istio-cni-node"} {
		ds, err := f.daemonSet(ctx, istioNamespaces, name)
		if err != nil {
			return nil, err
		}
		if ds != nil {
			inst.Components = append(inst.Components, daemonSetComponent(ds, strings.TrimSuffix(name, "-node")))
		}
	}
	inst.Settings["mode"] = "sidecar"
	if inst.Component("ztunnel") != nil {
		inst.Settings["mode"] = "ambient"
	}
	return inst, nil
}

// linkerd finds Linkerd's control plane: destination, identity and the proxy
// injector.
func (f *finder) linkerd(ctx context.Context) (*Installation, error) {
	names := []string{"linkerd-destination", "linkerd-identity", "linkerd-proxy-injector"}
	var inst *Installation
	for _, ns := range linkerdNamespaces {
		ds, err := f.deployments(ctx, ns, func(n string) bool { return slices.Contains(names, n) })
		if err != nil {
			return nil, err
		}
		for i := range ds {
			if inst == nil {
				inst = &Installation{Name: "linkerd", Settings: map[string]string{}}
			}
			d := &ds[i]
			c := deploymentComponent(d, strings.TrimPrefix(d.Name, "linkerd-"))
			inst.Components = append(inst.Components, c)
			if inst.Version == "" {
				inst.Version = firstNonEmpty(
					d.Labels["linkerd.io/control-plane-version"],
					d.Labels["app.kubernetes.io/version"],
					lastField(d.Annotations["linkerd.io/created-by"]),
					imageTag(c.Image),
					imageTag(image(d.Spec.Template.Spec.Containers, LinkerdProxy)))
			}
		}
	}
	return inst, nil
}

// cilium finds the agent DaemonSet and reads cilium-config for the encryption
// mode and kube-proxy replacement.
func (f *finder) cilium(ctx context.Context) (*Installation, error) {
	ds, err := f.daemonSet(ctx, ciliumNamespaces, "cilium")
	if err != nil || ds == nil {
		return nil, err
	}
	c := daemonSetComponent(ds, "cilium-agent")
	inst := &Installation{Name: "cilium", Components: []Component{c}, Settings: map[string]string{}}
	inst.Version = firstNonEmpty(imageTag(c.Image), ds.Labels["app.kubernetes.io/version"])
	cm, err := f.cs.CoreV1().ConfigMaps(ds.Namespace).Get(ctx, "cilium-config", metav1.GetOptions{})
	if ok, err := f.readable(err, "ConfigMap "+ds.Namespace+"/cilium-config"); err != nil {
		return nil, err
	} else if ok {
		inst.Components = append(inst.Components, Component{Kind: "ConfigMap", Namespace: cm.Namespace, Name: cm.Name, Ready: true})
		enc := "disabled"
		switch {
		case cm.Data["enable-wireguard"] == "true":
			enc = "wireguard"
		case cm.Data["enable-ipsec"] == "true":
			enc = "ipsec"
		}
		inst.Settings["encryption"] = enc
		if v, ok := cm.Data["kube-proxy-replacement"]; ok {
			inst.Settings["kube-proxy-replacement"] = v
		}
	}
	return inst, nil
}

// policyEngines finds the NetworkPolicy engines other than Cilium: kube-router
// and Calico DaemonSets, and the meshbench lab's announcement.
func (f *finder) policyEngines(ctx context.Context) ([]Installation, error) {
	var out []Installation
	for _, e := range []struct {
		name, ds, container string
		namespaces          []string
	}{
		{"kube-router", "kube-router", "kube-router", []string{"kube-system"}},
		{"calico", "calico-node", "calico-node", calicoNamespaces},
	} {
		ds, err := f.daemonSet(ctx, e.namespaces, e.ds)
		if err != nil {
			return nil, err
		}
		if ds != nil {
			c := daemonSetComponent(ds, e.container)
			out = append(out, Installation{Name: e.name, Version: imageTag(c.Image), Components: []Component{c}})
		}
	}
	lab, err := f.lab(ctx)
	if err != nil || lab == nil {
		return out, err
	}
	return append(out, *lab), nil
}

// lab recognises the meshbench lab by its Node and its optional ConfigMap.
func (f *finder) lab(ctx context.Context) (*Installation, error) {
	inst := &Installation{Name: LabPolicyEngine, Settings: map[string]string{"lab": "meshbench-lab"}}
	nodes, err := f.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	ok, err := f.readable(err, "nodes")
	if err != nil {
		return nil, err
	}
	found := false
	if ok {
		for _, n := range nodes.Items {
			if strings.HasPrefix(n.Status.NodeInfo.ContainerRuntimeVersion, LabRuntimePrefix) {
				inst.Components = append(inst.Components, Component{Kind: "Node", Name: n.Name, Ready: nodeReady(n)})
				found = true
			}
		}
	}
	cm, err := f.cs.CoreV1().ConfigMaps(LabConfigMapNamespace).Get(ctx, LabConfigMapName, metav1.GetOptions{})
	if ok, err := f.readable(err, "ConfigMap "+LabConfigMapNamespace+"/"+LabConfigMapName); err != nil {
		return nil, err
	} else if ok {
		inst.Name = firstNonEmpty(cm.Data[LabPolicyEngineKey], LabPolicyEngine)
		inst.Version = cm.Data[LabPolicyEngineVersionKey]
		// The rest are the engine's settings, named as Detect names a
		// real installation's (encryption, kube-proxy-replacement, ...).
		for k, v := range cm.Data {
			if k != LabPolicyEngineKey && k != LabPolicyEngineVersionKey {
				inst.Settings[k] = v
			}
		}
		inst.Components = append(inst.Components, Component{Kind: "ConfigMap", Namespace: cm.Namespace, Name: cm.Name, Ready: true})
		found = true
	}
	if !found {
		return nil, nil
	}
	return inst, nil
}

func nodeReady(n corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// crds reports which policy CRDs (and Gateway API's Gateway) exist.
func (f *finder) crds(ctx context.Context, dyn dynamic.Interface) (map[string]bool, error) {
	names := []string{gatewayCRD}
	for _, k := range policies.Kinds() {
		if k == policies.NetworkPolicy {
			continue
		}
		for _, r := range policies.Resources(k) {
			names = append(names, r.Resource+"."+r.Group)
		}
	}
	out := map[string]bool{}
	for _, n := range names {
		if _, seen := out[n]; seen {
			continue
		}
		_, err := dyn.Resource(crdGVR).Get(ctx, n, metav1.GetOptions{})
		ok, err := f.readable(err, "CustomResourceDefinition "+n)
		if err != nil {
			return nil, err
		}
		out[n] = ok
	}
	return out, nil
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func lastField(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[len(f)-1]
}
