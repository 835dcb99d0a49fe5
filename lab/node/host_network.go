package node

import (
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// useHostNetwork puts a hostNetwork pod in the node's own network: its
// processes start in the agent's namespace (which is the node's), its
// address is the node's, and the CNI plugins are not called, as kubelet
// does for such a pod.
func (a *Agent) useHostNetwork(pod *corev1.Pod, st *podState) error {
	ip, err := netip.ParseAddr(a.cfg.NodeIP)
	if err != nil {
		return err
	}
	rec := Record{UID: string(pod.UID), Namespace: pod.Namespace, Name: pod.Name, IP: ip, HostNetwork: true}
	if err := a.store.Save(rec); err != nil {
		return err
	}
	st.net, st.ip = &PodNetwork{IP: ip, Host: true}, ip
	a.log.Info("pod in the node's network (hostNetwork)", "pod", st.key, "ip", ip)
	return nil
}

// recoverHostPod handles a hostNetwork pod's record when the agent starts:
// what a previous agent left running of it is killed (this agent cannot
// wait on it) and the pod's containers start again, or, the pod gone, its
// record goes.
func (a *Agent) recoverHostPod(rec Record) error {
	key := rec.Namespace + "/" + rec.Name
	if n := a.killHostGroups(rec); n > 0 {
		a.log.Info("killed a hostNetwork pod's processes left by the previous agent", "pod", key, "groups", n)
	}
	pod, _ := a.lister.Pods(rec.Namespace).Get(rec.Name)
	if pod == nil || pod.UID != types.UID(rec.UID) {
		a.log.Info("removed a pod that is gone", "pod", key, "uid", rec.UID)
		return a.store.Remove(rec.UID)
	}
	st := newPodState(pod)
	if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		st.terminal, st.ip = pod.Status.Phase, rec.IP
	}
	a.mu.Lock()
	a.pods[st.key] = st
	a.mu.Unlock()
	a.queue.Add(st.key)
	return nil
}

// saveHostGroups records the process groups of a hostNetwork pod's running
// containers, for an agent that starts after this one left them running.
func (a *Agent) saveHostGroups(st *podState) {
	ns, name := splitKey(st.key)
	rec := Record{UID: string(st.uid), Namespace: ns, Name: name, IP: st.ip, HostNetwork: true}
	for _, cs := range append(append([]*containerState{}, st.inits...), st.containers...) {
		if cs.running() {
			rec.HostGroups = append(rec.HostGroups, cs.proc.Pid())
		}
	}
	if err := a.store.Save(rec); err != nil {
		a.log.Error("saving a hostNetwork pod's processes", "pod", st.key, "err", err)
	}
}

// killHostGroups SIGKILLs the process groups a hostNetwork pod's record
// names, each only while its leader still runs the agent's binary: a
// process id the kernel has given to another program since is left alone.
func (a *Agent) killHostGroups(rec Record) int {
	n := 0
	for _, pgid := range rec.HostGroups {
		exe, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pgid), "exe"))
		if err != nil || !sameFile(exe, a.binary) {
			continue
		}
		if syscall.Kill(-pgid, syscall.SIGKILL) == nil {
			n++
		}
	}
	return n
}

func sameFile(a, b string) bool {
	fa, err1 := os.Stat(a)
	fb, err2 := os.Stat(b)
	return err1 == nil && err2 == nil && os.SameFile(fa, fb)
}
