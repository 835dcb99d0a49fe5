package lab

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The ConfigMap meshbench detect reads the lab's engine from, and its keys
// (package meshes reads them under the same names; lab cannot import it,
// meshes' tests use the lab).
const (
	recordNamespace = "kube-system"
	recordName      = "meshbench-lab"
	recordEngine    = "policy-engine"
	recordVersion   = "policy-engine-version"
	recordL7Proxy   = "l7-proxy"
)

// publishCilium records the lab's engine in the ConfigMap meshbench detect
// reads (kube-system/meshbench-lab), standing for what a real cluster shows
// in the cilium DaemonSet and cilium-config: name, version and the mode the
// agents run in.
func publishCilium(ctx context.Context, l layout, o Options) error {
	version, err := ciliumVersion(ctx, o.BinDir)
	if err != nil {
		return err
	}
	cs, err := client(l)
	if err != nil {
		return err
	}
	cm := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: recordNamespace, Name: recordName},
		Data: map[string]string{
			recordEngine:               string(EngineCilium),
			recordVersion:              version,
			"routing-mode":             "native",
			"identity-allocation-mode": "crd",
			"kube-proxy-replacement":   "false",
			"encryption":               "disabled",
			recordL7Proxy:              "false",
		},
	}
	api := cs.CoreV1().ConfigMaps(cm.Namespace)
	if _, err := api.Create(ctx, cm, metav1.CreateOptions{}); apierrors.IsAlreadyExists(err) {
		_, err = api.Update(ctx, cm, metav1.UpdateOptions{})
		return err
	} else if err != nil {
		return fmt.Errorf("ConfigMap %s/%s: %w", cm.Namespace, cm.Name, err)
	}
	return nil
}

// ciliumVersion is the agent's release, "v1.20.2", as `cilium-agent
// --version` prints it ("cilium-agent 1.20.2 go version ...").
func ciliumVersion(ctx context.Context, binDir string) (string, error) {
	out, err := exec.CommandContext(ctx, filepath.Join(binDir, ciliumName), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("cilium-agent --version: %w", err)
	}
	f := strings.Fields(string(out))
	if len(f) < 2 || !strings.HasPrefix(f[1], "1.") && !strings.HasPrefix(f[1], "v1.") {
		return "", fmt.Errorf("cilium-agent --version: unexpected %q", strings.TrimSpace(string(out)))
	}
	return "v" + strings.TrimPrefix(f[1], "v"), nil
}
