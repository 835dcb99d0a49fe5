package cluster

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// DefaultImage is the published meshbench image. The lab runs any image of
// the meshbench/meshbench repository as its local binary.
const DefaultImage = "ghcr.io/meshbench/meshbench:latest"

// ServerPort is the port meshbench's servers listen on.
const ServerPort = 8080

// StreamPort is the port the servers take raw TCP streams and round trips on
// (`meshbench serve --stream-port`) when a run measures throughput or RTT.
const StreamPort = 5201

// Placement says where the client runs relative to the server.
type Placement string

const (
	SameNode  Placement = "same-node"
	CrossNode Placement = "cross-node"
)

// Workload describes the pods of one run.
type Workload struct {
	Namespace string
	RunID     string
	Image     string
	Placement Placement
	// Streams makes the servers listen for streams and round trips on
	// StreamPort too.
	Streams bool
}

func (w Workload) labels(role string) map[string]string {
	l := RunLabels(w.RunID)
	l[LabelRole] = role
	l["app.kubernetes.io/name"] = "meshbench"
	return l
}

func (w Workload) meta(name, role string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: w.Namespace, Labels: w.labels(role)}
}

// ServerName is the name of the Deployment and Service of a server role.
func ServerName(role string) string { return "meshbench-" + role }

// Server is the Deployment of one `meshbench serve` pod with role (RoleServer
// or RoleControl). The control runs on the server's node so both arms take
// the same path and share the node's noise.
func (w Workload) Server(role string) *appsv1.Deployment {
	cmd := []string{"meshbench", "serve", "--port", fmt.Sprint(ServerPort)}
	ports := []corev1.ContainerPort{{Name: "http", ContainerPort: ServerPort}}
	if w.Streams {
		cmd = append(cmd, "--stream-port", fmt.Sprint(StreamPort))
		ports = append(ports, corev1.ContainerPort{Name: "stream", ContainerPort: StreamPort})
	}
	pod := w.podSpec(role, cmd)
	pod.Containers[0].Ports = ports
	pod.Containers[0].ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/healthz", Port: intstr.FromInt32(ServerPort)}},
		PeriodSeconds: 1,
	}
	if role == RoleControl {
		pod.Affinity = affinityTo(RoleServer, w.RunID, true)
	}
	one := int32(1)
	sel := map[string]string{LabelRun: w.RunID, LabelRole: role}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: w.meta(ServerName(role), role),
		Spec: appsv1.DeploymentSpec{
			Replicas: &one,
			Selector: &metav1.LabelSelector{MatchLabels: sel},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: w.labels(role)},
				Spec:       pod,
			},
		},
	}
}

// Service is the ClusterIP Service in front of a server role.
func (w Workload) Service(role string) *corev1.Service {
	ports := []corev1.ServicePort{{Name: "http", Port: ServerPort, TargetPort: intstr.FromInt32(ServerPort)}}
	if w.Streams {
		ports = append(ports, corev1.ServicePort{Name: "stream", Port: StreamPort, TargetPort: intstr.FromInt32(StreamPort)})
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: w.meta(ServerName(role), role),
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{LabelRun: w.RunID, LabelRole: role},
			Ports:    ports,
		},
	}
}

// ClientServiceAccount is the service account of the client pods: the Istio
// and Linkerd policies admit the client by its mesh identity, which is the
// service account's.
const ClientServiceAccount = "meshbench-client"

// ServiceAccount is the client pods' service account.
func (w Workload) ServiceAccount() *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: w.meta(ClientServiceAccount, RoleClient),
	}
}

// Client is a pod that runs `meshbench load` with args once and exits; its
// stdout is the results document.
func (w Workload) Client(name string, args []string) *corev1.Pod {
	return w.ClientRunning(name, append([]string{"load"}, args...))
}

// ClientRunning is a client pod that runs the meshbench subcommand and
// arguments args (e.g. stream, rtt) once and exits; its stdout is the
// results document.
func (w Workload) ClientRunning(name string, args []string) *corev1.Pod {
	spec := w.podSpec(RoleClient, append([]string{"meshbench"}, args...))
	spec.RestartPolicy = corev1.RestartPolicyNever
	spec.ServiceAccountName = ClientServiceAccount
	spec.Affinity = affinityTo(RoleServer, w.RunID, w.Placement != CrossNode)
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: w.meta(name, RoleClient),
		Spec:       spec,
	}
}

// Prober is a long-running pod with role's labels that tries a new connection
// to url every interval and logs each outcome as a JSON line: the
// enforcement check reads its logs. A prober with RoleClient's labels must be
// admitted; one with RoleProbe's must be denied once any policy exists.
func (w Workload) Prober(name, role, url string) *corev1.Pod {
	spec := w.podSpec(role, []string{"meshbench", "probe", "--url", url, "--interval", "200ms", "--timeout", "500ms"})
	spec.RestartPolicy = corev1.RestartPolicyAlways
	if role == RoleClient {
		spec.ServiceAccountName = ClientServiceAccount
	}
	spec.Affinity = affinityTo(RoleServer, w.RunID, w.Placement != CrossNode)
	return &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: w.meta(name, role),
		Spec:       spec,
	}
}

func (w Workload) podSpec(role string, command []string) corev1.PodSpec {
	image := w.Image
	if image == "" {
		image = DefaultImage
	}
	zero := int64(1)
	return corev1.PodSpec{
		TerminationGracePeriodSeconds: &zero,
		EnableServiceLinks:            ptr(false),
		Containers: []corev1.Container{{
			Name:            "meshbench",
			Image:           image,
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         command,
		}},
	}
}

// affinityTo places a pod on (same=true) or off the node of the run's pods of role.
func affinityTo(role, runID string, same bool) *corev1.Affinity {
	term := corev1.PodAffinityTerm{
		LabelSelector: &metav1.LabelSelector{MatchLabels: map[string]string{LabelRun: runID, LabelRole: role}},
		TopologyKey:   corev1.LabelHostname,
	}
	if same {
		return &corev1.Affinity{PodAffinity: &corev1.PodAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}}}
	}
	return &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
		RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{term}}}
}
