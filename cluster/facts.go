package cluster

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/results"
)

// Facts reads the cluster's version and nodes for the results document.
func (c *Client) Facts(ctx context.Context) (*results.Cluster, error) {
	v, err := c.Kube.Discovery().ServerVersion()
	if err != nil {
		return nil, fmt.Errorf("cannot reach the cluster: %w", err)
	}
	out := &results.Cluster{KubernetesVersion: v.GitVersion}
	nodes, err := c.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		// A namespace-scoped user may not list nodes; the run goes on
		// without them (the placement then defaults to same-node).
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list nodes: %w", err)
	}
	for _, n := range nodes.Items {
		out.Nodes = append(out.Nodes, results.Node{
			Name:             n.Name,
			KubeletVersion:   n.Status.NodeInfo.KubeletVersion,
			Kernel:           n.Status.NodeInfo.KernelVersion,
			OSImage:          n.Status.NodeInfo.OSImage,
			ContainerRuntime: n.Status.NodeInfo.ContainerRuntimeVersion,
		})
	}
	return out, nil
}
