package lab_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// BenchmarkLabUp measures `lab up` to ready (binaries built) with one node
// and with three, side by side: etcd, kube-apiserver, the controllers, the
// node namespaces, every node Ready, every kube-proxy and kube-router in
// place. Down is not timed. It prints each node count's time and the ratio.
func BenchmarkLabUp(b *testing.B) {
	labtest.Requirements(b)
	labtest.Lock(b)
	opts := labtest.Options(b, b.TempDir())
	ctx := context.Background()
	took := map[int]time.Duration{}
	for _, nodes := range []int{1, 3} {
		b.Run(fmt.Sprintf("nodes=%d", nodes), func(b *testing.B) {
			o := opts
			o.Nodes = nodes
			var total time.Duration
			n := 0
			for b.Loop() {
				began := time.Now()
				l, err := lab.Start(ctx, o)
				var pe *lab.PreflightError
				if errors.As(err, &pe) {
					labtest.Unavailable(b, "%v", err)
				}
				if err != nil {
					b.Fatal(err)
				}
				total += time.Since(began)
				n++
				b.StopTimer()
				if err := l.Stop(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
			took[nodes] = total / time.Duration(n)
			b.ReportMetric(took[nodes].Seconds(), "s/up")
		})
	}
	if took[1] > 0 && took[3] > 0 {
		fmt.Printf("lab up: 1 node %.1f s, 3 nodes %.1f s, ratio 3/1 %.2f\n", took[1].Seconds(), took[3].Seconds(), took[3].Seconds()/took[1].Seconds())
	}
}

// BenchmarkPodRunning measures a pod from creation to Running with an IP:
// scheduler, node agent (netns, veth, route, process) and status update.
func BenchmarkPodRunning(b *testing.B) {
	l := labtest.Up(b)
	cs := labtest.Client(b, l)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, b, cs)
	zero := int64(0)
	i := 0
	for b.Loop() {
		name := fmt.Sprintf("pod-%d", i)
		i++
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, servePod(name, map[string]string{"app": "bench"}), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		labtest.WaitPodRunning(ctx, b, cs, ns, name)
		b.StopTimer()
		if err := cs.CoreV1().Pods(ns).Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// BenchmarkNetworkPolicyEnforced measures a deny-all NetworkPolicy from
// creation until a probe pod's new connections to the server fail, polled
// every 20 ms from inside the probe's netns; kube-router is what enforces.
func BenchmarkNetworkPolicyEnforced(b *testing.B) {
	l := labtest.Up(b)
	cs := labtest.Client(b, l)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, b, cs)
	nodes := l.Nodes()
	server, _, probe := startRolePods(ctx, b, cs, ns, nodes[0].Name, nodes[len(nodes)-1].Name)
	url := fmt.Sprintf("http://%s:8080/healthz", server.Status.PodIP)
	reaches := func(timeout time.Duration) bool {
		code, err := getFromNetns(ctx, netnsOf(probe), url, timeout)
		return err == nil && code == 200
	}
	deny := &networkingv1.NetworkPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "deny-all"},
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"meshbench.io/role": "server"}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
		},
	}
	var enforced time.Duration
	n := 0
	for b.Loop() {
		b.StopTimer()
		err := cs.NetworkingV1().NetworkPolicies(ns).Delete(ctx, deny.Name, metav1.DeleteOptions{})
		if err != nil && !apierrors.IsNotFound(err) {
			b.Fatal(err)
		}
		waitFor(ctx, b, "the probe to reach the server", func() bool { return reaches(time.Second) })
		b.StartTimer()
		created := time.Now()
		if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, deny, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		// A blocked connection fails only at the probe's timeout; 200 ms is
		// far above a local connect here (< 1 ms). The time to enforcement
		// is taken when the first failing probe began, not when it gave up.
		for {
			began := time.Now()
			if !reaches(200 * time.Millisecond) {
				enforced += began.Sub(created)
				break
			}
			select {
			case <-ctx.Done():
				b.Fatal("deny-all never took effect")
			case <-time.After(20 * time.Millisecond):
			}
		}
		n++
	}
	b.ReportMetric(float64(enforced.Milliseconds())/float64(n), "ms-to-enforce/op")
}
