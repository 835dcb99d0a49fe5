package cluster

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// RoleDatapath is the datapath pod's role: a pod on the server's node that
// reads the node's datapath for run --datapath-pod. No policy selects or
// admits it; with hostNetwork no policy applies to it.
const RoleDatapath = "datapath"

// DatapathHostRoot is where the datapath pod mounts the node's root file
// system, read-only, to run the node's own iptables-save.
const DatapathHostRoot = "/host"

// DatapathAgentCommand is what the datapath pod runs.
func DatapathAgentCommand() []string {
	return []string{"meshbench", "datapath-agent", "--every", "1s", "--host-root", DatapathHostRoot}
}

// DatapathPrivileges says what the datapath pod is allowed and why, for the
// run's log line.
const DatapathPrivileges = "hostNetwork (the node's own netfilter counters are in the node's network namespace), " +
	"privileged as root (iptables-save -c needs CAP_NET_ADMIN; chroot needs CAP_SYS_CHROOT), " +
	"the node's / mounted read-only at " + DatapathHostRoot + " (the node's own iptables-save, matching its iptables backend, " +
	"chrooted there; the image has none); it reads the host's /proc/stat and /proc/loadavg"

// DatapathAgent is the datapath pod name on node: `meshbench
// datapath-agent`, printing the node's rule counters, CPU times and load
// once a second to its log. It is bound to the node by name (the scheduler
// is not asked, and no taint keeps it off the node the server runs on).
func (w Workload) DatapathAgent(name, node string) *corev1.Pod {
	spec := w.podSpec(RoleDatapath, DatapathAgentCommand())
	spec.NodeName = node
	spec.HostNetwork = true
	spec.DNSPolicy = corev1.DNSClusterFirstWithHostNet
	spec.RestartPolicy = corev1.RestartPolicyAlways
	spec.Tolerations = []corev1.Toleration{{Operator: corev1.TolerationOpExists}}
	spec.AutomountServiceAccountToken = ptr(false)
	root := int64(0)
	spec.Containers[0].SecurityContext = &corev1.SecurityContext{
		Privileged: ptr(true), RunAsUser: &root, RunAsNonRoot: ptr(false),
	}
	spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "host-root", MountPath: DatapathHostRoot, ReadOnly: true}}
	dir := corev1.HostPathDirectory
	spec.Volumes = []corev1.Volume{{Name: "host-root", VolumeSource: corev1.VolumeSource{
		HostPath: &corev1.HostPathVolumeSource{Path: "/", Type: &dir}}}}
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: w.meta(name, RoleDatapath),
		Spec:       spec,
	}
}

// DatapathPodName is the name of the datapath pod of the i-th node a run reads.
func DatapathPodName(i int) string { return fmt.Sprintf("meshbench-datapath-%d", i) }
