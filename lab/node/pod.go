package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// podState is what the agent knows of one pod bound to its node: its
// network and its containers' runs. The work queue never syncs one pod on
// two workers at once; mu guards against the probers and the log server.
type podState struct {
	mu         sync.Mutex
	key        string // namespace/name
	uid        types.UID
	net        *PodNetwork // nil until the CNI plugins wired the pod
	ip         netip.Addr  // kept after teardown for the status of a finished pod
	started    time.Time
	inits      []*containerState
	containers []*containerState
	terminal   corev1.PodPhase // Succeeded or Failed once the pod has finished
	netErr     string          // why the network could not be set up
}

// containerState is one container across its runs.
type containerState struct {
	name      string
	image     string
	init      bool
	proc      *Process
	cancel    context.CancelFunc // stops the current run's prober
	runs      int
	restarts  int32
	lastTerm  *corev1.ContainerStateTerminated // the run before the current one
	finished  *corev1.ContainerStateTerminated // set when the container will not run again
	waiting   *containerError
	retryAt   time.Time
	ready     bool
	startedAt time.Time
}

func newPodState(pod *corev1.Pod) *podState {
	st := &podState{key: pod.Namespace + "/" + pod.Name, uid: pod.UID, started: time.Now()}
	if pod.Status.StartTime != nil {
		st.started = pod.Status.StartTime.Time
	}
	// Runs an agent before this one started count: the next run is a restart.
	restarts, ran := map[string]int32{}, map[string]int{}
	for _, s := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		restarts[s.Name] = s.RestartCount
		if s.State.Running != nil || s.State.Terminated != nil || s.LastTerminationState.Terminated != nil {
			ran[s.Name] = 1
		}
	}
	for _, c := range pod.Spec.InitContainers {
		st.inits = append(st.inits, &containerState{name: c.Name, image: c.Image, init: true, restarts: restarts[c.Name], runs: ran[c.Name]})
	}
	for _, c := range pod.Spec.Containers {
		st.containers = append(st.containers, &containerState{name: c.Name, image: c.Image, restarts: restarts[c.Name], runs: ran[c.Name]})
	}
	return st
}

func (st *podState) container(name string) *containerState {
	for _, cs := range append(append([]*containerState{}, st.inits...), st.containers...) {
		if cs.name == name {
			return cs
		}
	}
	return nil
}

// running reports whether the container has a live process now.
func (cs *containerState) running() bool { return cs.proc != nil && !cs.proc.Exited() }

// backoff is the wait before the next restart: 1 s doubling to 30 s, back to
// 1 s after a run that lasted a minute.
func (cs *containerState) backoff(ranFor time.Duration) time.Duration {
	if ranFor > time.Minute {
		return time.Second
	}
	d := time.Second << min(cs.restarts, 5)
	return min(d, 30*time.Second)
}

// syncPod brings one live pod's network and containers to what its spec
// asks and reports its status. It returns how soon it wants to run again (a
// restart waiting on its back-off), or 0.
func (a *Agent) syncPod(ctx context.Context, pod *corev1.Pod, st *podState) (time.Duration, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.terminal != "" {
		if pod.Status.Phase == st.terminal {
			return 0, nil // reported (perhaps by an agent before this one)
		}
		return 0, a.patchStatus(ctx, pod, st)
	}
	// Containers the lab cannot run say so and the pod stays Pending; it
	// gets no address and nothing starts.
	blocked := false
	for _, cs := range append(append([]*containerState{}, st.inits...), st.containers...) {
		c := specOf(pod, cs.name)
		if _, err := commandLine(a.binary, c, nil); err != nil {
			cs.waiting, blocked = err.(*containerError), true
		}
	}
	if blocked {
		return 0, a.patchStatus(ctx, pod, st)
	}
	if err := a.ensureNetwork(ctx, pod, st); err != nil {
		st.netErr = err.Error()
		_ = a.patchStatus(ctx, pod, st)
		return 0, err
	}
	st.netErr = ""

	var wait time.Duration
	next := func(d time.Duration) {
		if d > 0 && (wait == 0 || d < wait) {
			wait = d
		}
	}
	// Init containers run one after another, each to success, before the
	// containers start.
	for _, cs := range st.inits {
		if cs.finished == nil {
			next(a.driveContainer(ctx, pod, st, cs))
		}
		if cs.finished != nil && cs.finished.ExitCode == 0 {
			continue
		}
		if cs.finished != nil {
			a.finish(ctx, st, corev1.PodFailed)
		}
		return wait, a.patchStatus(ctx, pod, st)
	}
	allDone, allOK := true, true
	for _, cs := range st.containers {
		next(a.driveContainer(ctx, pod, st, cs))
		if cs.finished == nil {
			allDone = false
		} else if cs.finished.ExitCode != 0 {
			allOK = false
		}
	}
	if allDone && len(st.containers) > 0 {
		phase := corev1.PodSucceeded
		if !allOK {
			phase = corev1.PodFailed
		}
		a.finish(ctx, st, phase)
	}
	return wait, a.patchStatus(ctx, pod, st)
}

// ensureNetwork wires the pod through the node's CNI plugins once, and
// keeps what they gave it (the address) in its record. The record names the
// netns before ADD runs, so an agent that crashes in between finds and
// removes what ADD made.
func (a *Agent) ensureNetwork(ctx context.Context, pod *corev1.Pod, st *podState) error {
	if st.net != nil {
		return nil
	}
	if pod.Spec.HostNetwork {
		return a.useHostNetwork(pod, st)
	}
	netns := NetnsName(a.cfg.NodeName, string(pod.UID))
	rec := Record{UID: string(pod.UID), Namespace: pod.Namespace, Name: pod.Name, Netns: netns, CNIType: a.cni.Type()}
	if err := a.store.Save(rec); err != nil {
		return err
	}
	pn, err := a.setupNetwork(ctx, attachment(st.key, string(st.uid), netns))
	if err != nil {
		return err
	}
	rec.IP, rec.HostVeth = pn.IP, pn.HostVeth
	if err := a.store.Save(rec); err != nil {
		_ = a.teardownNetwork(ctx, attachment(st.key, string(st.uid), netns))
		return err
	}
	st.net, st.ip = &pn, pn.IP
	a.log.Info("pod wired by CNI", "pod", st.key, "plugin", a.cni.Type(), "ip", pn.IP, "hostVeth", pn.HostVeth)
	return nil
}

// driveContainer handles one container: records a run that ended, decides
// whether it restarts (restartPolicy, back-off), starts it when due. It
// returns how long until a pending restart is due, or 0.
func (a *Agent) driveContainer(ctx context.Context, pod *corev1.Pod, st *podState, cs *containerState) time.Duration {
	now := time.Now()
	if cs.proc != nil && cs.proc.Exited() {
		code, sig, fin := cs.proc.Result()
		term := &corev1.ContainerStateTerminated{
			ExitCode:    int32(code),
			Reason:      "Completed",
			StartedAt:   metaTime(cs.startedAt),
			FinishedAt:  metaTime(fin),
			ContainerID: containerID(st.uid, cs),
		}
		if code != 0 {
			term.Reason = "Error"
		}
		if sig != "" {
			term.Message = "killed by " + sig
		}
		if cs.cancel != nil {
			cs.cancel()
		}
		cs.proc, cs.ready, cs.lastTerm = nil, false, term
		policy := pod.Spec.RestartPolicy
		if cs.init && policy == corev1.RestartPolicyAlways {
			policy = corev1.RestartPolicyOnFailure // init containers rerun only on failure
		}
		if policy == corev1.RestartPolicyNever || (policy == corev1.RestartPolicyOnFailure && code == 0) {
			cs.finished = term
			return 0
		}
		delay := cs.backoff(fin.Sub(cs.startedAt))
		cs.retryAt = now.Add(delay)
		cs.waiting = &containerError{"CrashLoopBackOff", fmt.Sprintf("back-off %s restarting container %s (exit code %d)", delay, cs.name, code)}
	}
	if cs.proc != nil || cs.finished != nil {
		return 0
	}
	if now.Before(cs.retryAt) {
		return cs.retryAt.Sub(now)
	}
	if err := a.startContainer(ctx, pod, st, cs); err != nil {
		var ce *containerError
		if !errors.As(err, &ce) {
			ce = &containerError{"RunContainerError", err.Error()}
		}
		cs.waiting = ce
		cs.retryAt = now.Add(cs.backoff(0))
		cs.restarts++
		return cs.retryAt.Sub(now)
	}
	return 0
}

// startContainer starts one run of a container in the pod's netns.
func (a *Agent) startContainer(ctx context.Context, pod *corev1.Pod, st *podState, cs *containerState) error {
	c := specOf(pod, cs.name)
	env, byName, err := containerEnv(ctx, a.client, pod, c, a.cfg.NodeIP, st.ip.String())
	if err != nil {
		return err
	}
	argv, err := commandLine(a.binary, c, byName)
	if err != nil {
		return err
	}
	logPath := a.store.LogPath(string(st.uid), cs.name, false)
	dir := c.WorkingDir
	if dir != "" {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			dir = "" // the image's directories do not exist here; run in the pod's directory
		}
	}
	proc, err := StartProcess(ProcessSpec{Netns: st.net.Netns, HostNetwork: st.net.Host, Path: argv[0], Args: argv[1:], Env: env, Dir: dir, LogPath: logPath})
	if err != nil {
		return err
	}
	if cs.runs > 0 {
		cs.restarts++
	}
	cs.runs++
	cs.proc, cs.waiting, cs.startedAt, cs.ready = proc, nil, proc.StartedAt(), false
	if st.net.Host {
		a.saveHostGroups(st)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cs.cancel = cancel
	key := st.key
	go func() {
		select {
		case <-proc.Done():
			a.queue.Add(key)
		case <-runCtx.Done():
		}
	}()
	go a.probeReadiness(runCtx, st, cs, proc, c, st.ip)
	a.log.Info("container started", "pod", st.key, "container", cs.name, "pid", proc.Pid(), "args", argv[1:])
	return nil
}

// finish ends a pod that ran to completion: nothing restarts, the network
// goes (the address stays in its status), the logs stay for `kubectl logs`.
func (a *Agent) finish(ctx context.Context, st *podState, phase corev1.PodPhase) {
	st.terminal = phase
	a.stopContainers(st, 0)
	if st.net != nil && st.net.Host {
		// The node's network stays; the record keeps the pod's address.
		ns, name := splitKey(st.key)
		if err := a.store.Save(Record{UID: string(st.uid), Namespace: ns, Name: name, IP: st.ip, HostNetwork: true}); err != nil {
			a.log.Error("saving a finished pod's record", "pod", st.key, "err", err)
		}
		st.net = nil
	}
	if st.net != nil {
		if err := a.teardownNetwork(ctx, attachment(st.key, string(st.uid), st.net.Netns)); err != nil {
			a.log.Error("tearing down a finished pod's network", "pod", st.key, "err", err)
		}
		ns, name := splitKey(st.key)
		if err := a.store.Save(Record{UID: string(st.uid), Namespace: ns, Name: name, Netns: st.net.Netns}); err != nil {
			a.log.Error("saving a finished pod's record", "pod", st.key, "err", err)
		}
		st.net = nil
	}
	a.log.Info("pod finished", "pod", st.key, "phase", phase)
}

// stopContainers stops every running container of the pod: SIGTERM to its
// process group, SIGKILL after grace.
func (a *Agent) stopContainers(st *podState, grace time.Duration) {
	var wg sync.WaitGroup
	for _, cs := range append(append([]*containerState{}, st.inits...), st.containers...) {
		if cs.cancel != nil {
			cs.cancel()
		}
		if cs.proc != nil {
			wg.Add(1)
			go func(p *Process) { defer wg.Done(); p.Stop(grace) }(cs.proc)
		}
	}
	wg.Wait()
}

// terminate removes everything of a pod from the host: its processes first
// (a live process keeps the netns and veth alive), then its netns, veth and
// route, its address, its record and logs.
func (a *Agent) terminate(ctx context.Context, st *podState, grace time.Duration) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	a.stopContainers(st, grace)
	if st.net != nil && st.net.Host {
		st.net = nil
	}
	var errs []error
	// By name, not st.net: a pod whose wiring failed half-way has a netns
	// and perhaps an address too.
	if netns := NetnsName(a.cfg.NodeName, string(st.uid)); st.net != nil || NetnsExists(netns) {
		if err := a.teardownNetwork(ctx, attachment(st.key, string(st.uid), netns)); err != nil {
			errs = append(errs, err)
		}
		st.net = nil
	}
	if len(errs) == 0 {
		errs = append(errs, a.store.Remove(string(st.uid)))
	}
	a.log.Info("pod removed from the node", "pod", st.key, "uid", st.uid)
	return errors.Join(errs...)
}

func specOf(pod *corev1.Pod, name string) *corev1.Container {
	for i := range pod.Spec.InitContainers {
		if pod.Spec.InitContainers[i].Name == name {
			return &pod.Spec.InitContainers[i]
		}
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == name {
			return &pod.Spec.Containers[i]
		}
	}
	return &corev1.Container{Name: name}
}

func containerID(uid types.UID, cs *containerState) string {
	return fmt.Sprintf("meshbench://%s/%s/%d", uid, cs.name, cs.runs)
}
