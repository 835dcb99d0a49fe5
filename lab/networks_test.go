package lab_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/lab/nsnet"
)

// On every network between nodes, a client pod reaches a server pod on the
// other node by pod IP and through a Service, kube-router enforces a
// NetworkPolicy step (deny-all, then an allow for the client only), and what
// the underlay bridge carries is the network's encapsulation: VXLAN frames
// to flannel's UDP port with the HTTP exchange inside, WireGuard datagrams
// with none of it readable. After a SIGKILL of every lab process, down
// leaves nothing: no process, namespace, tunnel or VXLAN device, route,
// chain, WireGuard socket or flannel state.
func TestNetworksAcrossNodes(t *testing.T) {
	for _, network := range []lab.Network{lab.VXLAN, lab.WireGuard} {
		t.Run(string(network), func(t *testing.T) { testNetwork(t, network) })
	}
}

func testNetwork(t *testing.T, network lab.Network) {
	ipForward, _ := os.ReadFile("/proc/sys/net/ipv4/ip_forward")
	l, opts := startLabOn(t, 2, network)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if got := lab.RunningNetwork(opts.StateDir); got != network {
		t.Fatalf("the lab records network %q, want %q", got, network)
	}
	nodes := l.Nodes()
	for _, n := range nodes {
		checkOverlayDevice(t, n, network)
	}

	ns := testNamespace(ctx, t, cs)
	server, client, probe := startRolePods(ctx, t, cs, ns, nodes[0].Name, nodes[1].Name)
	svc, err := cs.CoreV1().Services(ns).Create(ctx, &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "server"},
		Spec: corev1.ServiceSpec{
			Selector: map[string]string{"meshbench.io/role": "server"},
			Ports:    []corev1.ServicePort{{Port: 80, TargetPort: intstr.FromInt32(8080)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	podURL := fmt.Sprintf("http://%s:8080/healthz", server.Status.PodIP)
	svcURL := fmt.Sprintf("http://%s:80/healthz", svc.Spec.ClusterIP)
	reaches := func(from *corev1.Pod, url string) bool {
		code, err := getFromNetns(ctx, netnsOf(from), url, time.Second)
		return err == nil && code == 200
	}
	waitFor(ctx, t, "the client to reach the server across nodes by pod IP", func() bool { return reaches(client, podURL) })
	waitFor(ctx, t, "the client to reach the server through its Service", func() bool { return reaches(client, svcURL) })

	// The marker travels in the request's path and comes back in the
	// response's body (the server names the size it cannot parse).
	marker := fmt.Sprintf("meshbench-plaintext-%d", time.Now().UnixNano())
	capture := startCapture(t)
	body := getBody(ctx, t, netnsOf(client), fmt.Sprintf("http://%s:8080/bytes/%s", server.Status.PodIP, marker))
	if !strings.Contains(body, marker) {
		t.Fatalf("the server's answer %q does not carry the marker %s", body, marker)
	}
	time.Sleep(200 * time.Millisecond)
	capture.stop()
	frames := capture.snapshot()
	bare := tcpTo(frames, 8080)
	seen := containing(frames, []byte(marker))
	switch network {
	case lab.VXLAN:
		if n := udpTo(frames, lab.VXLANPort); n == 0 {
			t.Errorf("no UDP frame to the VXLAN port %d on the underlay among %d frames", lab.VXLANPort, len(frames))
		}
		if seen == 0 {
			t.Errorf("VXLAN does not encrypt, yet no frame on the underlay carries the HTTP exchange (%d frames): is the capture seeing the traffic?", len(frames))
		}
	case lab.WireGuard:
		if n := udpTo(frames, lab.WireGuardPort); n == 0 {
			t.Errorf("no UDP frame to the WireGuard port %d on the underlay among %d frames", lab.WireGuardPort, len(frames))
		}
		if seen > 0 {
			t.Errorf("%d frames on the underlay carry the HTTP exchange in plaintext", seen)
		}
	}
	if bare > 0 {
		t.Errorf("%d frames to the server's port 8080 crossed the underlay unencapsulated", bare)
	}

	denyAll := denyAllToServer()
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, denyAll, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "deny-all to block the client", func() bool { return !reaches(client, podURL) && !reaches(probe, podURL) })
	allow := allowClientToServer()
	if _, err := cs.NetworkingV1().NetworkPolicies(ns).Create(ctx, allow, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the allow to admit the client", func() bool { return reaches(client, podURL) })
	for range 3 {
		if reaches(probe, podURL) {
			t.Fatal("the probe, whose labels no policy allows, reached the server")
		}
	}

	runStudy(t, l, opts, network)

	// A crash of everything, then down.
	if killAll(t, opts.StateDir) == 0 {
		t.Fatal("no lab process to kill")
	}
	if err := lab.Down(context.Background(), opts); err != nil {
		t.Fatalf("down after SIGKILL: %v", err)
	}
	assertClean(t, opts.StateDir, strings.TrimSpace(string(ipForward)))
	socks, _ := filepath.Glob("/var/run/wireguard/mbwg*.sock")
	if len(socks) > 0 {
		t.Errorf("after down, WireGuard sockets remain: %v", socks)
	}
	for _, p := range []string{filepath.Join(opts.StateDir, "flannel"), filepath.Join(opts.StateDir, "nodes")} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("after down, %s remains", p)
		}
	}
	if links := hostLinks(t); len(links) > 0 {
		t.Errorf("after down, tunnel or VXLAN devices remain on the host: %v", links)
	}
}

// checkOverlayDevice checks node n carries the network's device: flannel's
// VXLAN device flannel.1, or the node's WireGuard TUN device; and that no
// route to another node's pods bypasses it.
func checkOverlayDevice(t *testing.T, n lab.Node, network lab.Network) {
	t.Helper()
	dev := "flannel.1"
	if network == lab.WireGuard {
		dev = lab.WireGuardDevice(n)
	}
	if !nsnet.LinkExists(n.Netns(), dev) {
		t.Fatalf("node %s has no %s device", n.Name, dev)
	}
	routes, err := nsnet.Routes(n.Netns())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range routes {
		if strings.Contains(r, "10.244.") && strings.Contains(r, lab.NodeInterface) {
			t.Errorf("node %s routes pods over the underlay, bypassing %s: %s", n.Name, dev, r)
		}
	}
}

// hostLinks lists links in the host namespace that only the overlays make.
func hostLinks(t *testing.T) []string {
	t.Helper()
	var out []string
	ifs, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range ifs {
		if strings.HasPrefix(i.Name, "flannel.") || strings.HasPrefix(i.Name, "mbwg") || i.Name == "cni0" {
			out = append(out, i.Name)
		}
	}
	return out
}

// getBody makes one GET from inside a pod's namespace and returns the body.
func getBody(ctx context.Context, t *testing.T, netns, url string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return labtest.DialInNetns(ctx, netns, addr)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("GET %s from %s: %v", url, netns, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// runStudy runs `meshbench run --placement cross-node --policies 0,20
// --measure latency,throughput,rtt` on the lab (small counts) and checks the
// results document records the network, its MTU and cipher.
func runStudy(t *testing.T, l *lab.Lab, opts lab.Options, network lab.Network) {
	t.Helper()
	doc := filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, opts.Meshbench, "run", "--kubeconfig", l.Kubeconfig(),
		"--placement", "cross-node", "--policies", "0,20", "--measure", "latency,throughput,rtt",
		"--sizes", ".5k", "--requests", "100", "--warmup", "5", "--rtt-requests", "200",
		"--streams", "1", "--stream-duration", "2s", "--results", doc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("meshbench run on %s: %v\n%s", network, err, out)
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Cluster struct {
			Network       string `json:"network"`
			NetworkMTU    int    `json:"networkMTU"`
			NetworkCipher string `json:"networkCipher"`
		} `json:"cluster"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Cluster.Network != string(network) || d.Cluster.NetworkMTU != network.MTU() || d.Cluster.NetworkCipher != network.Cipher() {
		t.Errorf("the results document records network %q mtu %d cipher %q; want %q %d %q",
			d.Cluster.Network, d.Cluster.NetworkMTU, d.Cluster.NetworkCipher, network, network.MTU(), network.Cipher())
	}
}
