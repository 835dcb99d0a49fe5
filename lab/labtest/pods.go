package labtest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// WaitPod polls a pod every 100 ms until cond holds and returns it; when
// ctx ends first the test fails naming what it waited for and the pod's
// last status.
func WaitPod(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, name, what string, cond func(*corev1.Pod) bool) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	for {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = p
			if cond(p) {
				return p
			}
		}
		select {
		case <-ctx.Done():
			if last == nil {
				t.Fatalf("pod %s/%s: timed out waiting for %s: %v (last error %v)", ns, name, what, ctx.Err(), err)
			}
			t.Fatalf("pod %s/%s: timed out waiting for %s: %v; last status %+v", ns, name, what, ctx.Err(), last.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// WaitPodRunning waits until the pod runs with an IP and returns it.
func WaitPodRunning(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, name string) *corev1.Pod {
	t.Helper()
	return WaitPod(ctx, t, cs, ns, name, "Running with an IP", func(p *corev1.Pod) bool {
		return p.Status.Phase == corev1.PodRunning && p.Status.PodIP != ""
	})
}
