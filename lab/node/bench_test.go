package node_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

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
		w, err := cs.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, servePod(name, ""), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		var running time.Duration
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok || ev.Type == watch.Error {
				b.Fatalf("watch: %v", ev.Object)
			}
			if running == 0 && p.Status.Phase == corev1.PodRunning && p.Status.PodIP != "" {
				running = time.Since(start)
			}
			if running > 0 && ready(p) {
				toRunning += running
				toReady += time.Since(start)
				break
			}
		}
		w.Stop()
		b.StopTimer()
		if err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{}); err != nil {
			b.Fatal(err)
		}
		waitGone(ctx, b, cs, ns, name)
		b.StartTimer()
	}
	b.ReportMetric(float64(toRunning.Milliseconds())/float64(b.N), "ms-to-running")
	b.ReportMetric(float64(toReady.Milliseconds())/float64(b.N), "ms-to-ready")
}
