//go:build cilium

package ciliumlab_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// policySteps are the NetworkPolicy counts the engines are compared at.
var policySteps = []int{0, 100, 1000}

// BenchmarkEnginePerPolicyConnectCost brings up a two-node lab with each
// engine in turn and times new connections (connect, one GET, close) from
// a client pod to a server pod on the other node with 0, 100 and 1,000
// NetworkPolicies selecting the server (each admitting a peer label no pod
// has, one admitting the client). It prints each engine's median per step,
// the cost per policy per new connection ((median at k − median at 0) / k),
// and kube-router's cost over Cilium's: iptables walks the server's policy
// rules on each new connection, Cilium looks the peer's identity up in one
// BPF map whatever the policy count.
func BenchmarkEnginePerPolicyConnectCost(b *testing.B) {
	const conns = 400
	median := map[lab.Engine]map[int]time.Duration{}
	for _, engine := range lab.Engines {
		b.Run(string(engine), func(b *testing.B) {
			for b.Loop() {
				median[engine] = measureEngine(b, engine, conns)
			}
		})
	}
	perPolicy := func(e lab.Engine, k int) float64 {
		return float64(median[e][k]-median[e][0]) / float64(time.Microsecond) / float64(k)
	}
	for _, e := range lab.Engines {
		fmt.Printf("%-11s median new connection: 0 policies %v, 100 %v, 1000 %v\n", e, median[e][0], median[e][100], median[e][1000])
	}
	for _, k := range policySteps[1:] {
		kr, ci := perPolicy(lab.EngineKubeRouter, k), perPolicy(lab.EngineCilium, k)
		fmt.Printf("at %d policies: per policy per new connection kube-router %.3f µs, cilium %.3f µs, ratio kube-router/cilium %.1f\n", k, kr, ci, kr/ci)
	}
}

func measureEngine(b *testing.B, engine lab.Engine, conns int) map[int]time.Duration {
	labtest.Requirements(b)
	labtest.Lock(b)
	opts := labtest.Options(b, b.TempDir())
	opts.Nodes, opts.Engine, opts.Timeout = 2, engine, 12*time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()
	l, err := lab.Start(ctx, opts)
	var pe *lab.PreflightError
	if errors.As(err, &pe) {
		labtest.Unavailable(b, "%v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = lab.Down(context.Background(), opts) }()
	cs := labtest.Client(b, l)
	nodes := l.Nodes()
	ns := "default"
	pods := map[string]*corev1.Pod{}
	for role, n := range map[string]lab.Node{"server": nodes[0], "client": nodes[1]} {
		if _, err := cs.CoreV1().Pods(ns).Create(ctx, servePod(role, n.Name, map[string]string{"meshbench.io/role": role}), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, role := range []string{"server", "client"} {
		pods[role] = waitPodRunning(ctx, b, cs, ns, role)
	}
	url := fmt.Sprintf("http://%s:8080/healthz", pods["server"].Status.PodIP)
	out := map[int]time.Duration{}
	applied := 0
	for _, k := range policySteps {
		if err := addPolicies(ctx, cs, ns, applied, k); err != nil {
			b.Fatal(err)
		}
		applied = k
		waitFor(ctx, b, "the client to reach the server", func() bool { return reaches(ctx, pods["client"], url) })
		// Let the engine finish writing every rule before timing.
		time.Sleep(5 * time.Second)
		took := make([]time.Duration, 0, conns)
		for range conns {
			began := time.Now()
			if !reaches(ctx, pods["client"], url) {
				b.Fatalf("%s, %d policies: the client was refused", engine, k)
			}
			took = append(took, time.Since(began))
		}
		slices.Sort(took)
		out[k] = took[len(took)/2]
	}
	return out
}

// addPolicies brings the server's NetworkPolicies from have to want: the
// first admits the client, the others a peer label no pod carries.
func addPolicies(ctx context.Context, cs kubernetes.Interface, ns string, have, want int) error {
	port := intstr.FromInt32(8080)
	for i := have; i < want; i++ {
		peer := map[string]string{"meshbench.io/peer": fmt.Sprintf("p%d", i)}
		if i == 0 {
			peer = map[string]string{"meshbench.io/role": "client"}
		}
		p := &networkingv1.NetworkPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%d", i)},
			Spec: networkingv1.NetworkPolicySpec{
				PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"meshbench.io/role": "server"}},
				PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
				Ingress: []networkingv1.NetworkPolicyIngressRule{{
					From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: peer}}},
					Ports: []networkingv1.NetworkPolicyPort{{Port: &port}},
				}},
			},
		}
		if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, p, metav1.CreateOptions{}); err != nil {
			return err
		}
	}
	return nil
}
