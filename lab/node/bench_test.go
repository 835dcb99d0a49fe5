package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/lab/labtest"
)

// BenchmarkPodCreatedToRunning measures, on the lab's node, the time from
// creating a `meshbench serve` pod to seeing it Running with an IP, and to
// Ready (its httpGet readiness probe passing), through a watch.
func BenchmarkPodCreatedToRunning(b *testing.B) {
	l := labtest.Up(b)
	cs := labtest.Client(b, l)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, b, cs)

	var toRunning, toReady time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		name := fmt.Sprintf("bench-%d", i)
		start := time.Now()
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, servePod(name, ""), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		running, ready := watchPod(ctx, b, cs, ns, name, start)
		toRunning += running
		toReady += ready
		b.StopTimer()
		if err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
		waitGone(ctx, b, cs, ns, name)
		b.StartTimer()
	}
	b.ReportMetric(float64(toRunning.Microseconds())/1000/float64(b.N), "ms-to-running")
	b.ReportMetric(float64(toReady.Microseconds())/1000/float64(b.N), "ms-to-ready")
}

// watchPod watches a pod until it is Running with an IP and until it is
// Ready, and returns both times since start. A watch the apiserver ends (a
// lab just started has no watch cache yet) is opened again.
func watchPod(ctx context.Context, b *testing.B, cs kubernetes.Interface, ns, name string, start time.Time) (running, ready time.Duration) {
	b.Helper()
	seen := func(p *corev1.Pod) bool {
		if running == 0 && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
			running = time.Since(start)
		}
		if running > 0 && runningReady(p) {
			ready = time.Since(start)
			return true
		}
		return false
	}
	for ctx.Err() == nil {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if seen(p) {
			return running, ready
		}
		w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name, ResourceVersion: p.ResourceVersion})
		if err != nil {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break
			}
			if p, ok := ev.Object.(*corev1.Pod); ok && seen(p) {
				w.Stop()
				return running, ready
			}
		}
		w.Stop()
	}
	b.Fatalf("pod %s/%s not Ready in time", ns, name)
	return 0, 0
}
