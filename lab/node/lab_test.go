package node_test

import (
	"bufio"
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
	"github.com/meshbench/meshbench/lab/node"
)

// A pod on the lab's node becomes Running and Ready with an address of the
// pod CIDR on the lab's node IP, is reachable from the host at that address,
// and, once deleted, its processes, netns, veth and route are gone and the
// pod object is removed without waiting out a grace period.
func TestPodLivesInItsNetns(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	p := create(ctx, t, cs, ns, servePod("server", ""))
	p = labtest.WaitPod(ctx, t, cs, ns, p.Name, "Running and Ready with an IP", runningReady)
	n := labNode(t, l, p.Spec.NodeName)
	if !n.PodCIDR.Contains(netip.MustParseAddr(p.Status.PodIP)) || p.Status.HostIP != n.IP.String() {
		t.Fatalf("pod IP %s host IP %s node %s: want an IP in %s on %s", p.Status.PodIP, p.Status.HostIP, p.Spec.NodeName, n.PodCIDR, n.IP)
	}
	if len(p.Status.PodIPs) != 1 || p.Status.PodIPs[0].IP != p.Status.PodIP {
		t.Errorf("podIPs %v, want [%s]", p.Status.PodIPs, p.Status.PodIP)
	}
	cst := p.Status.ContainerStatuses
	if len(cst) != 1 || !cst[0].Ready || cst[0].State.Running == nil || cst[0].RestartCount != 0 {
		t.Fatalf("container statuses %+v: want one ready running container, no restarts", cst)
	}
	if body, err := hostGet("http://" + p.Status.PodIP + ":8080/healthz"); err != nil {
		t.Fatalf("GET /healthz at the pod IP from the host: %v %q", err, body)
	}
	netns, veth, route := hostObjects(t, p.Spec.NodeName, string(p.UID), p.Status.PodIP)
	if !netns || !veth || !route {
		t.Fatalf("running pod: netns %v veth %v route %v; want all three", netns, veth, route)
	}

	// A default deletion (30 s grace): the server stops on SIGTERM, and the
	// agent finishes the deletion at once.
	start := time.Now()
	if err := cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, cs, ns, p.Name)
	if took := time.Since(start); took > 20*time.Second {
		t.Errorf("deleting the pod took %v; the agent should finish it as soon as the server stops", took)
	}
	waitFor(ctx, t, "the pod's netns, veth and route to go", func() bool {
		netns, veth, route = hostObjects(t, p.Spec.NodeName, string(p.UID), p.Status.PodIP)
		return !netns && !veth && !route
	})
}

// Readiness follows the httpGet probe: a pod whose probe port has no
// listener runs but is not Ready (and not behind its Service).
func TestReadinessProbeGatesReady(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	good := create(ctx, t, cs, ns, servePod("good", ""))
	badPod := servePod("bad", "")
	badPod.Spec.Containers[0].ReadinessProbe.HTTPGet.Port = intstr.FromInt32(9999)
	bad := create(ctx, t, cs, ns, badPod)
	labtest.WaitPod(ctx, t, cs, ns, good.Name, "Ready", runningReady)
	b := labtest.WaitPod(ctx, t, cs, ns, bad.Name, "Running", func(p *corev1.Pod) bool { return p.Status.Phase == corev1.PodRunning })
	// The good pod was Ready after at most a few probes; give the bad one as long again.
	time.Sleep(3 * time.Second)
	b = labtest.WaitPod(ctx, t, cs, ns, bad.Name, "its status", func(*corev1.Pod) bool { return true })
	if ready(b) || b.Status.ContainerStatuses[0].Ready {
		t.Fatalf("pod whose readiness probe fails is Ready: %+v", b.Status)
	}
}

// Pods that run to completion end as Succeeded or Failed with the exit code
// (restartPolicy Never/OnFailure), a Job completes, and restartPolicy Always
// restarts a container that exits.
func TestRestartPolicies(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	ok := create(ctx, t, cs, ns, commandPod("ok", corev1.RestartPolicyNever, "--version"))
	fail := create(ctx, t, cs, ns, commandPod("fail", corev1.RestartPolicyNever, "--no-such-flag"))
	always := create(ctx, t, cs, ns, commandPod("always", corev1.RestartPolicyAlways, "--version"))

	p := labtest.WaitPod(ctx, t, cs, ns, ok.Name, "to finish", finished)
	if p.Status.Phase != corev1.PodSucceeded || p.Status.ContainerStatuses[0].State.Terminated == nil ||
		p.Status.ContainerStatuses[0].State.Terminated.ExitCode != 0 {
		t.Errorf("meshbench --version, restartPolicy Never: %s %+v, want Succeeded with exit code 0", p.Status.Phase, p.Status.ContainerStatuses)
	}
	out, err := logs(ctx, cs, ns, ok.Name, &corev1.PodLogOptions{})
	if err != nil || !strings.HasPrefix(out, "meshbench ") {
		t.Errorf("logs of meshbench --version: %q %v, want the version line", out, err)
	}

	p = labtest.WaitPod(ctx, t, cs, ns, fail.Name, "to finish", finished)
	term := p.Status.ContainerStatuses[0].State.Terminated
	if p.Status.Phase != corev1.PodFailed || term == nil || term.ExitCode != 2 {
		t.Errorf("meshbench --no-such-flag (bad input), restartPolicy Never: %s %+v, want Failed with exit code 2", p.Status.Phase, p.Status.ContainerStatuses)
	}

	labtest.WaitPod(ctx, t, cs, ns, always.Name, "2 restarts", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].RestartCount >= 2 && p.Status.Phase == corev1.PodRunning
	})

	job, err := cs.BatchV1().Jobs(ns).Create(ctx, &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "job"},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr(int32(0)),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyOnFailure,
				Containers:    []corev1.Container{{Name: "main", Image: meshbenchImage, Args: []string{"--version"}}},
			}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(ctx, t, "the Job to complete", func() bool {
		j, err := cs.BatchV1().Jobs(ns).Get(ctx, job.Name, metav1.GetOptions{})
		return err == nil && j.Status.Succeeded == 1
	})
}

// An image other than meshbench's gets a waiting reason that says why, the
// pod stays Pending without a network, and it can still be deleted.
func TestUnsupportedImageSaysWhy(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	pod := commandPod("nginx", corev1.RestartPolicyAlways)
	pod.Spec.Containers[0].Image = "docker.io/library/nginx:1.27"
	p := create(ctx, t, cs, ns, pod)
	p = labtest.WaitPod(ctx, t, cs, ns, p.Name, "a waiting reason", func(p *corev1.Pod) bool {
		return len(p.Status.ContainerStatuses) == 1 && p.Status.ContainerStatuses[0].State.Waiting != nil &&
			p.Status.ContainerStatuses[0].State.Waiting.Reason == node.ReasonImageNotSupported
	})
	w := p.Status.ContainerStatuses[0].State.Waiting
	if !strings.Contains(w.Message, "nginx:1.27") || !strings.Contains(w.Message, "meshbench") {
		t.Errorf("waiting message %q: want it to name the image and say the lab runs meshbench images", w.Message)
	}
	if p.Status.Phase != corev1.PodPending || p.Status.PodIP != "" {
		t.Errorf("phase %s podIP %q: want Pending without an address", p.Status.Phase, p.Status.PodIP)
	}
	if netns, _, _ := hostObjects(t, p.Spec.NodeName, string(p.UID), ""); netns {
		t.Error("a pod that cannot run got a netns")
	}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitGone(ctx, t, cs, ns, p.Name)
}

// Container logs come through the apiserver from the agent's kubelet API,
// with tailLines and limitBytes, and follow streams a running container's
// output until it stops.
func TestContainerLogsThroughTheAPIServer(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	help := create(ctx, t, cs, ns, commandPod("help", corev1.RestartPolicyNever, "--help"))
	labtest.WaitPod(ctx, t, cs, ns, help.Name, "to finish", finished)
	all, err := logs(ctx, cs, ns, help.Name, &corev1.PodLogOptions{})
	if err != nil || !strings.Contains(all, "Usage:") {
		t.Fatalf("logs of meshbench --help: %v %q", err, all)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(all, "\n"), "\n")
	tail, err := logs(ctx, cs, ns, help.Name, &corev1.PodLogOptions{TailLines: ptr(int64(2))})
	if want := strings.Join(lines[len(lines)-2:], "") + "\n"; err != nil || tail != want {
		t.Errorf("tailLines=2: %q %v, want %q", tail, err, want)
	}
	head, err := logs(ctx, cs, ns, help.Name, &corev1.PodLogOptions{LimitBytes: ptr(int64(10))})
	if err != nil || head != all[:10] {
		t.Errorf("limitBytes=10: %q %v, want %q", head, err, all[:10])
	}
	if _, err := logs(ctx, cs, ns, help.Name, &corev1.PodLogOptions{Container: "nope"}); err == nil {
		t.Error("logs of a container the pod does not have: want an error")
	}

	srv := create(ctx, t, cs, ns, servePod("server", ""))
	srv = labtest.WaitPod(ctx, t, cs, ns, srv.Name, "Ready", runningReady)
	stream, err := cs.CoreV1().Pods(ns).GetLogs(srv.Name, &corev1.PodLogOptions{Follow: true}).Stream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	if !sc.Scan() || !strings.Contains(sc.Text(), "listening on") {
		t.Fatalf("first followed line %q (%v), want the server's listening line", sc.Text(), sc.Err())
	}
	if _, err := hostGet("http://" + srv.Status.PodIP + ":8080/bytes/10"); err != nil {
		t.Fatal(err)
	}
	if err := cs.CoreV1().Pods(ns).Delete(ctx, srv.Name, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The server logs its totals on SIGTERM; then the stream ends.
	var rest []string
	for sc.Scan() {
		rest = append(rest, sc.Text())
	}
	if len(rest) == 0 || !strings.Contains(rest[len(rest)-1], "stopped after") {
		t.Errorf("followed lines after deletion %q: want the server's last line, then the end of the stream", rest)
	}
}

// A pod's containers share its netns: an init container runs to completion
// first, then a server and a load client in the same pod, the client
// reaching the server on 127.0.0.1; each container has its own log and
// status.
func TestContainersShareThePodNetns(t *testing.T) {
	l := labtest.Up(t)
	cs := labtest.Client(t, l)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := testNamespace(ctx, t, cs)

	pod := servePod("duo", "")
	pod.Spec.RestartPolicy = corev1.RestartPolicyNever
	pod.Spec.InitContainers = []corev1.Container{{Name: "init", Image: meshbenchImage, Args: []string{"--version"}}}
	pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{
		Name:  "load",
		Image: meshbenchImage,
		Args: []string{"load", "-t", "local=http://127.0.0.1:8080", "--sizes", "100", "-n", "5",
			"--warmup", "1", "--rounds", "1", "--rate", "50", "--wait-reachable", "10s", "-o", "-"},
	})
	create(ctx, t, cs, ns, pod)
	p := labtest.WaitPod(ctx, t, cs, ns, "duo", "the load container to finish", func(p *corev1.Pod) bool {
		for _, s := range p.Status.ContainerStatuses {
			if s.Name == "load" && s.State.Terminated != nil {
				return true
			}
		}
		return false
	})
	out, err := logs(ctx, cs, ns, "duo", &corev1.PodLogOptions{Container: "load"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range p.Status.ContainerStatuses {
		switch s.Name {
		case "load":
			if s.State.Terminated.ExitCode != 0 {
				t.Fatalf("load container exit %d; its log:\n%s", s.State.Terminated.ExitCode, out)
			}
		case "serve":
			if s.State.Running == nil {
				t.Errorf("serve container %+v, want it still running", s.State)
			}
		}
	}
	if !strings.Contains(out, `"arm"`) && !strings.Contains(out, `"Arm"`) {
		t.Errorf("load container's log holds no results document:\n%s", out)
	}
	if init := p.Status.InitContainerStatuses; len(init) != 1 || init[0].State.Terminated == nil || init[0].State.Terminated.ExitCode != 0 {
		t.Errorf("init container status %+v, want terminated with exit code 0", init)
	}
	if p.Status.Phase != corev1.PodRunning {
		t.Errorf("phase %s, want Running while the server runs", p.Status.Phase)
	}
	initLog, err := logs(ctx, cs, ns, "duo", &corev1.PodLogOptions{Container: "init"})
	if err != nil || !strings.HasPrefix(initLog, "meshbench ") {
		t.Errorf("init container's log %q (%v): want the version line", initLog, err)
	}
	serveLog, err := logs(ctx, cs, ns, "duo", &corev1.PodLogOptions{Container: "serve"})
	if err != nil || !strings.Contains(serveLog, "listening on") || strings.Contains(serveLog, initLog) {
		t.Errorf("serve container's log %q (%v): want its own output only", serveLog, err)
	}
}

// labNode is the lab node of this name.
func labNode(t testing.TB, l *lab.Lab, name string) lab.Node {
	t.Helper()
	for _, n := range l.Nodes() {
		if n.Name == name {
			return n
		}
	}
	t.Fatalf("node %q is not one of the lab's %v", name, l.Nodes())
	return lab.Node{}
}
