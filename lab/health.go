package lab

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// The health checks of each component; nil means healthy.

func httpOK(ctx context.Context, url, want string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
		return fmt.Errorf("%s: %s %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func etcdHealthy(ctx context.Context) error {
	return httpOK(ctx, loopbackURL(EtcdClientPort)+"/health", `"true"`)
}

// kubeProxyHealthy asks node n's kube-proxy, which serves healthz on the
// node's address.
func kubeProxyHealthy(n Node) func(context.Context) error {
	return func(ctx context.Context) error {
		return httpOK(ctx, fmt.Sprintf("http://%s:%d/healthz", n.IP, KubeProxyHealthz), "")
	}
}

// kubeRouterChains is kube-router's health here: its health port is off, and
// it enforces policies once its top-level chains are in the filter table of
// its node's namespace.
func kubeRouterChains(n Node) func(context.Context) error {
	return func(ctx context.Context) error {
		return nsnet.Do(n.Netns(), func() error {
			_, err := run(ctx, "iptables", "-t", "filter", "-S", "KUBE-ROUTER-FORWARD", "1")
			return err
		})
	}
}

func client(l layout) (kubernetes.Interface, error) {
	cfg, err := RESTConfig(l.dir())
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 5 * time.Second
	return kubernetes.NewForConfig(cfg)
}

func apiserverReady(l layout) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := client(l)
		if err != nil {
			return err
		}
		body, err := c.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err != nil {
			return err
		}
		if strings.TrimSpace(string(body)) != "ok" {
			return fmt.Errorf("/readyz: %s", body)
		}
		return nil
	}
}

func nodeReady(l layout, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := client(l)
		if err != nil {
			return err
		}
		n, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, cond := range n.Status.Conditions {
			if cond.Type == corev1.NodeReady {
				if cond.Status == corev1.ConditionTrue {
					return nil
				}
				return fmt.Errorf("node %s Ready=%s: %s", name, cond.Status, cond.Message)
			}
		}
		return fmt.Errorf("node %s has no Ready condition yet", name)
	}
}

func defaultServiceAccount(l layout) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := client(l)
		if err != nil {
			return err
		}
		_, err = c.CoreV1().ServiceAccounts("default").Get(ctx, "default", metav1.GetOptions{})
		return err
	}
}

// checkReady reports whether every component of the lab at l runs and the
// cluster is usable.
func checkReady(ctx context.Context, l layout, nodes []Node) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if len(nodes) == 0 {
		return fmt.Errorf("no record of the lab's nodes in %s", l.topology())
	}
	for _, s := range status(ctx, l, nodes) {
		if !s.Healthy {
			return fmt.Errorf("%s: %s", s.Name, s.Detail)
		}
	}
	return nil
}

// nodeRegistered is met once the Node exists with its podCIDR (flanneld's
// subnet manager reads it at start).
func nodeRegistered(l layout, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		c, err := client(l)
		if err != nil {
			return err
		}
		n, err := c.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if n.Spec.PodCIDR == "" {
			return fmt.Errorf("node %s has no podCIDR yet", name)
		}
		return nil
	}
}

// flannelUp is met once node n's flanneld wrote its subnet.env and made its
// VXLAN device.
func flannelUp(l layout, n Node) func(context.Context) error {
	return func(context.Context) error {
		if _, err := readFlannelSubnet(l.flannelSubnetEnv(n.Name)); err != nil {
			return err
		}
		if !nsnet.LinkExists(n.Netns(), flannelVXLANDevice) {
			return fmt.Errorf("no %s in %s", flannelVXLANDevice, n.Netns())
		}
		return nil
	}
}

// wireguardUp is met while node n's WireGuard device exists and answers on
// its UAPI socket with a key and its peers.
func wireguardUp(n Node) func(context.Context) error {
	return func(context.Context) error {
		return wireguardConfigured(n)
	}
}
