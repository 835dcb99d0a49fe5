package cluster

import (
	"context"
	"fmt"
	"io"

	corev1 "k8s.io/api/core/v1"
)

// Logs returns a pod's container log through the apiserver, as `kubectl
// logs` does; tail > 0 keeps only the last tail lines.
func (c *Client) Logs(ctx context.Context, ns, pod string, tail int64) ([]byte, error) {
	opts := &corev1.PodLogOptions{}
	if tail > 0 {
		opts.TailLines = &tail
	}
	rc, err := c.Kube.CoreV1().Pods(ns).GetLogs(pod, opts).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs of %s/%s: %w", ns, pod, err)
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// FollowLogs streams what a pod's container writes to its log from now on
// (kubectl logs -f --tail 0) until ctx ends or the container stops.
func (c *Client) FollowLogs(ctx context.Context, ns, pod string) (io.ReadCloser, error) {
	none := int64(0)
	rc, err := c.Kube.CoreV1().Pods(ns).GetLogs(pod, &corev1.PodLogOptions{Follow: true, TailLines: &none}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs of %s/%s: %w", ns, pod, err)
	}
	return rc, nil
}
