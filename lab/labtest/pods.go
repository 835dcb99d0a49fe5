package labtest

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// WaitPodRunning waits until the pod runs with an IP and returns it; when
// ctx ends first the test fails with the pod's last status.
func WaitPodRunning(ctx context.Context, t testing.TB, cs kubernetes.Interface, ns, name string) *corev1.Pod {
	t.Helper()
	var last *corev1.Pod
	for {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			last = p
			if p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
				return p
			}
		}
		select {
		case <-ctx.Done():
			if last == nil {
				t.Fatalf("pod %s/%s not found: %v", ns, name, ctx.Err())
			}
			t.Fatalf("pod %s/%s not Running with an IP: %v; last status %+v", ns, name, ctx.Err(), last.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
