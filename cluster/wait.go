package cluster

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// WaitReadyPod waits until a pod of ns matching sel (a label selector, or
// "name=<pod>" for one pod by name) is Ready with an IP and returns it. On
// timeout the error says what the pod is waiting for.
func (c *Client) WaitReadyPod(ctx context.Context, ns, sel string, timeout time.Duration) (*corev1.Pod, error) {
	opts := metav1.ListOptions{LabelSelector: sel}
	if name, ok := strings.CutPrefix(sel, "name="); ok {
		opts = metav1.ListOptions{FieldSelector: "metadata.name=" + name}
	}
	var found *corev1.Pod
	var last string
	var lost apiserverLoss
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		pods, err := c.Kube.CoreV1().Pods(ns).List(ctx, opts)
		if err != nil {
			last = err.Error()
			return false, lost.failed(err)
		}
		lost.answered()
		for i := range pods.Items {
			p := &pods.Items[i]
			if p.DeletionTimestamp == nil && p.Status.PodIP != "" && podReady(p) {
				found = p
				return true, nil
			}
			if err := imageProblem(p); err != nil {
				return false, err
			}
			last = describeWait(p)
		}
		return false, nil
	})
	if stopped(err) {
		return nil, err
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if last == "" {
			last = "no pod was created"
		}
		return nil, fmt.Errorf("no ready pod %q in %s after %s: %s", sel, ns, timeout, last)
	}
	return found, nil
}

// WaitPodDone waits until pod name has Succeeded or Failed and returns it.
func (c *Client) WaitPodDone(ctx context.Context, ns, name string, timeout time.Duration) (*corev1.Pod, error) {
	var p *corev1.Pod
	var lost apiserverLoss
	err := wait.PollUntilContextTimeout(ctx, 250*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		got, err := c.Kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, &PodGoneError{Namespace: ns, Name: name}
		}
		if err != nil {
			return false, lost.failed(err)
		}
		lost.answered()
		p = got
		if err := imageProblem(p); err != nil {
			return false, err
		}
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, nil
	})
	if stopped(err) {
		return nil, err
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		state := "not found"
		if p != nil {
			state = describeWait(p)
		}
		return nil, fmt.Errorf("pod %s/%s did not finish in %s: %s", ns, name, timeout, state)
	}
	return p, nil
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// describeWait says in a few words why a pod is not ready.
func describeWait(p *corev1.Pod) string {
	var parts []string
	parts = append(parts, fmt.Sprintf("pod %s is %s", p.Name, p.Status.Phase))
	for _, c := range p.Status.Conditions {
		if c.Status != corev1.ConditionTrue && c.Message != "" {
			parts = append(parts, fmt.Sprintf("%s: %s", c.Type, c.Message))
		}
	}
	for _, cs := range p.Status.ContainerStatuses {
		if w := cs.State.Waiting; w != nil {
			parts = append(parts, fmt.Sprintf("container %s waiting: %s %s", cs.Name, w.Reason, w.Message))
		}
		if t := cs.State.Terminated; t != nil {
			parts = append(parts, fmt.Sprintf("container %s terminated: exit %d %s %s", cs.Name, t.ExitCode, t.Reason, t.Message))
		}
	}
	return strings.Join(parts, "; ")
}
