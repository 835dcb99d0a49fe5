package meshes

// The objects each mesh's and CNI's installation creates, reduced to what
// detection reads (names, namespaces, images, labels, config keys). Upstream
// charts: istio/istiod, istio/ztunnel, istio/cni; linkerd-control-plane;
// cilium; kube-router's daemonset manifests; Calico's operator.

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// noNode keeps the workloads' pods off every node: these are control-plane
// objects for detection, not a data plane.
var noNode = map[string]string{"meshbench.io/no-such-node": "true"}

func deployment(ns, name string, labels map[string]string, containers ...corev1.Container) *appsv1.Deployment {
	sel := map[string]string{"app": name}
	one := int32(1)
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: labels},
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: containers, NodeSelector: noNode},
			},
		},
	}
}

func daemonSet(ns, name string, containers ...corev1.Container) *appsv1.DaemonSet {
	sel := map[string]string{"k8s-app": name}
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: sel},
				Spec:       corev1.PodSpec{Containers: containers, NodeSelector: noNode},
			},
		},
	}
}

func container(name, image string) corev1.Container {
	return corev1.Container{Name: name, Image: image}
}

func configMap(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

func namespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
}

// istioAmbientObjects is Istio 1.31.1 installed with the ambient profile.
func istioAmbientObjects() []runtime.Object {
	return []runtime.Object{
		namespace("istio-system"),
		deployment("istio-system", "istiod", map[string]string{"app": "istiod", "istio.io/rev": "default"},
			container("discovery", "docker.io/istio/pilot:1.31.1-distroless")),
		daemonSet("istio-system", "ztunnel", container("istio-proxy", "docker.io/istio/ztunnel:1.31.1-distroless")),
		daemonSet("istio-system", "istio-cni-node", container("install-cni", "docker.io/istio/install-cni:1.31.1-distroless")),
	}
}

// linkerdObjects is Linkerd's control plane, stable-2.18.2.
func linkerdObjects() []runtime.Object {
	labels := map[string]string{"linkerd.io/control-plane-ns": "linkerd", "app.kubernetes.io/version": "stable-2.18.2"}
	return []runtime.Object{
		namespace("linkerd"),
		deployment("linkerd", "linkerd-destination", labels,
			container("linkerd-proxy", "cr.l5d.io/linkerd/proxy:stable-2.18.2"),
			container("destination", "cr.l5d.io/linkerd/controller:stable-2.18.2")),
		deployment("linkerd", "linkerd-identity", labels, container("identity", "cr.l5d.io/linkerd/controller:stable-2.18.2")),
		deployment("linkerd", "linkerd-proxy-injector", labels, container("proxy-injector", "cr.l5d.io/linkerd/controller:stable-2.18.2")),
	}
}

// ciliumObjects is Cilium v1.20.2 with the given cilium-config settings.
func ciliumObjects(config map[string]string) []runtime.Object {
	return []runtime.Object{
		daemonSet("kube-system", "cilium", container("cilium-agent", "quay.io/cilium/cilium:v1.20.2@sha256:0123456789abcdef")),
		configMap("kube-system", "cilium-config", config),
	}
}

func kubeRouterObjects() []runtime.Object {
	return []runtime.Object{daemonSet("kube-system", "kube-router", container("kube-router", "docker.io/cloudnativelabs/kube-router:v2.10.0"))}
}

func calicoObjects() []runtime.Object {
	return []runtime.Object{
		namespace("calico-system"),
		daemonSet("calico-system", "calico-node", container("calico-node", "quay.io/calico/node:v3.31.0")),
	}
}

// labNode is the Node the lab's node agent registers.
func labNode() *corev1.Node {
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: "meshbench-lab", Labels: map[string]string{"app.kubernetes.io/managed-by": "meshbench"}},
		Status: corev1.NodeStatus{
			NodeInfo:   corev1.NodeSystemInfo{ContainerRuntimeVersion: "meshbench-lab://1", KubeletVersion: "v1.36.3"},
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue}},
		},
	}
}

// labConfigMap is how the lab may publish its engine's version.
func labConfigMap() *corev1.ConfigMap {
	return configMap(LabConfigMapNamespace, LabConfigMapName, map[string]string{
		LabPolicyEngineKey: "kube-router", LabPolicyEngineVersionKey: "v2.10.0",
	})
}

// crd is a minimal CustomResourceDefinition object for the dynamic client.
func crd(name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apiextensions.k8s.io/v1")
	u.SetKind("CustomResourceDefinition")
	u.SetName(name)
	return u
}
