package node

import (
	"context"
	"fmt"
	"path"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// Waiting reasons the agent reports for containers it will not run. They
// stay until the pod is changed or deleted; the pod never hangs silently.
const (
	ReasonImageNotSupported   = "ImageNotSupported"
	ReasonCommandNotSupported = "CommandNotSupported"
	ReasonConfigError         = "CreateContainerConfigError"
)

// imageRepository is the repository every image the lab runs ends in.
const imageRepository = "meshbench/meshbench"

// IsMeshbenchImage reports whether image names meshbench's own image in any
// registry, with any tag or digest: ghcr.io/meshbench/meshbench:latest,
// meshbench/meshbench, localhost:5000/x/meshbench/meshbench@sha256:...
func IsMeshbenchImage(image string) bool {
	repo := image
	if i := strings.IndexByte(repo, '@'); i >= 0 {
		repo = repo[:i]
	}
	// A tag is a ':' after the last '/'; a ':' before it is a registry port.
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	return repo == imageRepository || strings.HasSuffix(repo, "/"+imageRepository)
}

// containerError is why a container cannot run: a waiting reason and message.
type containerError struct{ reason, message string }

func (e *containerError) Error() string { return e.reason + ": " + e.message }

// commandLine resolves what a container runs in the lab: binary (the local
// meshbench) and its arguments. The image's entrypoint is meshbench, so an
// empty command runs it with the container's args; a command whose program
// is meshbench (by any path) runs it with the rest; anything else has no
// program to run here. $(VAR) references expand from env, as kubelet does.
func commandLine(binary string, c *corev1.Container, env map[string]string) ([]string, error) {
	if !IsMeshbenchImage(c.Image) {
		return nil, &containerError{ReasonImageNotSupported, fmt.Sprintf(
			"the lab runs only meshbench images (a repository ending in %s, e.g. ghcr.io/meshbench/meshbench:latest); image %q is not one",
			imageRepository, c.Image)}
	}
	var args []string
	if len(c.Command) > 0 {
		if path.Base(c.Command[0]) != "meshbench" {
			return nil, &containerError{ReasonCommandNotSupported, fmt.Sprintf(
				"the lab runs a meshbench image's container as the meshbench program; command %q is not meshbench", c.Command[0])}
		}
		args = append(args, c.Command[1:]...)
	}
	args = append(args, c.Args...)
	for i, a := range args {
		args[i] = expand(a, env)
	}
	return append([]string{binary}, args...), nil
}

// expand replaces $(NAME) with env's NAME when defined and $$(NAME) with a
// literal $(NAME); other text stays as written (Kubernetes' rules).
func expand(s string, env map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 >= len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteByte('$')
				continue
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// baseEnv is what every container starts with before its own variables; the
// agent's environment is not passed on, as a container does not see the host's.
func baseEnv(pod *corev1.Pod) []corev1.EnvVar {
	return []corev1.EnvVar{
		{Name: "PATH", Value: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
		{Name: "HOSTNAME", Value: pod.Name},
		{Name: "HOME", Value: "/root"},
	}
}

// containerEnv builds a container's environment in Kubernetes' order: envFrom
// sources, then env entries (later wins, and may refer to earlier ones with
// $(NAME)). Values come from literals, the pod's fields, ConfigMaps and
// Secrets; a missing non-optional source is a config error.
func containerEnv(ctx context.Context, client kubernetes.Interface, pod *corev1.Pod, c *corev1.Container, nodeIP, podIP string) (list []string, byName map[string]string, err error) {
	byName = map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := byName[k]; !ok {
			order = append(order, k)
		}
		byName[k] = v
	}
	for _, e := range baseEnv(pod) {
		set(e.Name, e.Value)
	}
	cms := map[string]*corev1.ConfigMap{}
	secrets := map[string]*corev1.Secret{}
	getCM := func(name string) (*corev1.ConfigMap, error) {
		if cm, ok := cms[name]; ok {
			return cm, nil
		}
		cm, err := client.CoreV1().ConfigMaps(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
		cms[name] = cm
		return cm, err
	}
	getSecret := func(name string) (*corev1.Secret, error) {
		if s, ok := secrets[name]; ok {
			return s, nil
		}
		s, err := client.CoreV1().Secrets(pod.Namespace).Get(ctx, name, metav1.GetOptions{})
		secrets[name] = s
		return s, err
	}
	configErr := func(format string, a ...any) error {
		return &containerError{ReasonConfigError, fmt.Sprintf(format, a...)}
	}
	for _, from := range c.EnvFrom {
		switch {
		case from.ConfigMapRef != nil:
			cm, err := getCM(from.ConfigMapRef.Name)
			if err != nil {
				if isOptional(from.ConfigMapRef.Optional) {
					continue
				}
				return nil, nil, configErr("configmap %q: %v", from.ConfigMapRef.Name, err)
			}
			for _, k := range sortedKeys(cm.Data) {
				set(from.Prefix+k, cm.Data[k])
			}
		case from.SecretRef != nil:
			s, err := getSecret(from.SecretRef.Name)
			if err != nil {
				if isOptional(from.SecretRef.Optional) {
					continue
				}
				return nil, nil, configErr("secret %q: %v", from.SecretRef.Name, err)
			}
			for _, k := range sortedKeys(s.Data) {
				set(from.Prefix+k, string(s.Data[k]))
			}
		}
	}
	for _, e := range c.Env {
		if e.ValueFrom == nil {
			set(e.Name, expand(e.Value, byName))
			continue
		}
		vf := e.ValueFrom
		switch {
		case vf.FieldRef != nil:
			v, err := podField(pod, vf.FieldRef.FieldPath, nodeIP, podIP)
			if err != nil {
				return nil, nil, configErr("env %s: %v", e.Name, err)
			}
			set(e.Name, v)
		case vf.ConfigMapKeyRef != nil:
			ref := vf.ConfigMapKeyRef
			cm, err := getCM(ref.Name)
			v, ok := "", false
			if err == nil {
				v, ok = cm.Data[ref.Key]
			}
			if !ok {
				if isOptional(ref.Optional) {
					continue
				}
				return nil, nil, configErr("env %s: key %q of configmap %q not found", e.Name, ref.Key, ref.Name)
			}
			set(e.Name, v)
		case vf.SecretKeyRef != nil:
			ref := vf.SecretKeyRef
			s, err := getSecret(ref.Name)
			var v []byte
			ok := false
			if err == nil {
				v, ok = s.Data[ref.Key]
			}
			if !ok {
				if isOptional(ref.Optional) {
					continue
				}
				return nil, nil, configErr("env %s: key %q of secret %q not found", e.Name, ref.Key, ref.Name)
			}
			set(e.Name, string(v))
		default:
			// resourceFieldRef and file keys: the lab sets no limits and
			// mounts no volumes, so the variable stays empty.
			set(e.Name, "")
		}
	}
	for _, k := range order {
		list = append(list, k+"="+byName[k])
	}
	return list, byName, nil
}

// podField is the downward API's value of a field path.
func podField(pod *corev1.Pod, fieldPath, nodeIP, podIP string) (string, error) {
	switch fieldPath {
	case "metadata.name":
		return pod.Name, nil
	case "metadata.namespace":
		return pod.Namespace, nil
	case "metadata.uid":
		return string(pod.UID), nil
	case "spec.nodeName":
		return pod.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return pod.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.hostIPs":
		return nodeIP, nil
	case "status.podIP", "status.podIPs":
		return podIP, nil
	}
	for _, p := range []struct {
		prefix string
		m      map[string]string
	}{{"metadata.labels", pod.Labels}, {"metadata.annotations", pod.Annotations}} {
		if fieldPath == p.prefix {
			var lines []string
			for _, k := range sortedKeys(p.m) {
				lines = append(lines, fmt.Sprintf("%s=%q", k, p.m[k]))
			}
			return strings.Join(lines, "\n"), nil
		}
		if strings.HasPrefix(fieldPath, p.prefix+"['") && strings.HasSuffix(fieldPath, "']") {
			return p.m[fieldPath[len(p.prefix)+2:len(fieldPath)-2]], nil
		}
	}
	return "", fmt.Errorf("field path %q is not supported", fieldPath)
}

func isOptional(b *bool) bool { return b != nil && *b }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
