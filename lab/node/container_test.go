package node

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"
)

func TestIsMeshbenchImage(t *testing.T) {
	for image, want := range map[string]bool{
		"ghcr.io/meshbench/meshbench:latest":                   true,
		"ghcr.io/meshbench/meshbench":                          true,
		"meshbench/meshbench:v1":                               true,
		"localhost:5000/mirror/meshbench/meshbench@sha256:abc": true,
		"docker.io/library/nginx:1.27":                         false,
		"ghcr.io/meshbench/meshbench-extra:latest":             false,
		"ghcr.io/notmeshbench/meshbench:latest":                false,
		"meshbench":                                            false,
		"localhost:5000/meshbench":                             false,
	} {
		if got := IsMeshbenchImage(image); got != want {
			t.Errorf("IsMeshbenchImage(%q) = %v, want %v", image, got, want)
		}
	}
}

func TestCommandLine(t *testing.T) {
	const bin = "/opt/meshbench"
	env := map[string]string{"PORT": "8080"}
	img := "ghcr.io/meshbench/meshbench:latest"
	for _, tc := range []struct {
		command, args []string
		want          []string
	}{
		{nil, []string{"serve", "--port", "$(PORT)"}, []string{bin, "serve", "--port", "8080"}},
		{[]string{"meshbench"}, []string{"serve"}, []string{bin, "serve"}},
		{[]string{"/meshbench", "load"}, []string{"-o", "-"}, []string{bin, "load", "-o", "-"}},
		{[]string{"/usr/local/bin/meshbench", "serve"}, nil, []string{bin, "serve"}},
		{nil, nil, []string{bin}},
	} {
		got, err := commandLine(bin, &corev1.Container{Image: img, Command: tc.command, Args: tc.args}, env)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("command %q args %q: got %q (%v), want %q", tc.command, tc.args, got, err, tc.want)
		}
	}

	var ce *containerError
	_, err := commandLine(bin, &corev1.Container{Image: "nginx:1.27"}, nil)
	if !errors.As(err, &ce) || ce.reason != ReasonImageNotSupported || !strings.Contains(ce.message, "nginx:1.27") {
		t.Errorf("nginx: %v, want %s naming the image", err, ReasonImageNotSupported)
	}
	_, err = commandLine(bin, &corev1.Container{Image: img, Command: []string{"sh", "-c", "echo"}}, nil)
	if !errors.As(err, &ce) || ce.reason != ReasonCommandNotSupported {
		t.Errorf("sh: %v, want %s", err, ReasonCommandNotSupported)
	}
}

func TestExpand(t *testing.T) {
	env := map[string]string{"A": "x", "B": "y"}
	for in, want := range map[string]string{
		"$(A)-$(B)":   "x-y",
		"$$(A)":       "$(A)",
		"$(MISSING)":  "$(MISSING)",
		"cost $5":     "cost $5",
		"$(A":         "$(A",
		"trailing $":  "trailing $",
		"no vars":     "no vars",
		"$(A)$(A)$$x": "xx$x",
	} {
		if got := expand(in, env); got != want {
			t.Errorf("expand(%q) = %q, want %q", in, got, want)
		}
	}
}

// containerEnv takes values from literals, the downward API, ConfigMaps and
// Secrets, in Kubernetes' order, and reports a missing source as a config
// error instead of starting the container without it.
func TestContainerEnv(t *testing.T) {
	client := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm", Namespace: "ns"}, Data: map[string]string{"SIZE": "512", "RATE": "100"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec", Namespace: "ns"}, Data: map[string][]byte{"TOKEN": []byte("t0k")}},
	)
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns", UID: "u", Labels: map[string]string{"role": "server"}}}
	c := &corev1.Container{
		EnvFrom: []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}},
		Env: []corev1.EnvVar{
			{Name: "PLAIN", Value: "v-$(CM_SIZE)"},
			{Name: "POD_IP", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "status.podIP"}}},
			{Name: "ROLE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.labels['role']"}}},
			{Name: "TOKEN", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "TOKEN"}}},
		},
	}
	list, byName, err := containerEnv(context.Background(), client, pod, c, "10.250.0.1", "10.244.0.9")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"CM_SIZE": "512", "CM_RATE": "100", "PLAIN": "v-512", "POD_IP": "10.244.0.9", "ROLE": "server", "TOKEN": "t0k", "HOSTNAME": "p"}
	for k, v := range want {
		if byName[k] != v {
			t.Errorf("%s=%q, want %q", k, byName[k], v)
		}
	}
	if len(list) != len(byName) {
		t.Errorf("list has %d entries, map %d", len(list), len(byName))
	}

	missing := &corev1.Container{Env: []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "k"}}}}}
	var ce *containerError
	if _, _, err := containerEnv(context.Background(), client, pod, missing, "", ""); !errors.As(err, &ce) || ce.reason != ReasonConfigError {
		t.Errorf("missing configmap: %v, want %s", err, ReasonConfigError)
	}
	opt := true
	missing.Env[0].ValueFrom.ConfigMapKeyRef.Optional = &opt
	if _, byName, err := containerEnv(context.Background(), client, pod, missing, "", ""); err != nil || byName["X"] != "" {
		t.Errorf("optional missing configmap: %v %q, want no error and no X", err, byName["X"])
	}
}
