package node

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// podStatus is the status the agent reports for a pod, from what it knows.
// Conditions keep their transition time while their value stays the same.
func (a *Agent) podStatus(pod *corev1.Pod, st *podState) corev1.PodStatus {
	s := corev1.PodStatus{
		HostIP:    a.cfg.NodeIP,
		HostIPs:   []corev1.HostIP{{IP: a.cfg.NodeIP}},
		StartTime: ptrTime(st.started),
		QOSClass:  pod.Status.QOSClass,
	}
	if st.ip.IsValid() && ((st.net != nil) || st.terminal != "") {
		s.PodIP = st.ip.String()
		s.PodIPs = []corev1.PodIP{{IP: s.PodIP}}
	}
	for _, cs := range st.inits {
		s.InitContainerStatuses = append(s.InitContainerStatuses, containerStatus(pod, st, cs))
	}
	for _, cs := range st.containers {
		s.ContainerStatuses = append(s.ContainerStatuses, containerStatus(pod, st, cs))
	}

	initialized := true
	for _, cs := range st.inits {
		if cs.finished == nil || cs.finished.ExitCode != 0 {
			initialized = false
		}
	}
	allReady, anyRunning := len(st.containers) > 0, false
	var notReady []string
	for _, cs := range st.containers {
		if cs.running() {
			anyRunning = true
		}
		if !(cs.running() && cs.ready) {
			allReady = false
			notReady = append(notReady, cs.name)
		}
	}

	switch {
	case st.terminal != "":
		s.Phase = st.terminal
	case initialized && (anyRunning || anyStarted(st.containers)):
		s.Phase = corev1.PodRunning
	default:
		s.Phase = corev1.PodPending
	}

	cond := func(t corev1.PodConditionType, ok bool, reason, message string) {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: message}
		if ok {
			c.Status, c.Reason, c.Message = corev1.ConditionTrue, "", ""
		}
		c.LastTransitionTime = metav1.NewTime(time.Now().Truncate(time.Second))
		for _, old := range pod.Status.Conditions {
			if old.Type == t && old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
		}
		s.Conditions = append(s.Conditions, c)
	}
	notReadyMsg := "containers with unready status: [" + strings.Join(notReady, " ") + "]"
	readyReason := "ContainersNotReady"
	if st.terminal != "" {
		readyReason = "PodCompleted"
		notReadyMsg = ""
	}
	cond(corev1.PodReadyToStartContainers, (st.net != nil), "", "")
	if !(st.net != nil) && st.netErr != "" {
		s.Conditions[len(s.Conditions)-1].Message = st.netErr
	}
	cond(corev1.PodInitialized, initialized, "ContainersNotInitialized", "")
	cond(corev1.ContainersReady, allReady && st.terminal == "", readyReason, notReadyMsg)
	cond(corev1.PodReady, allReady && st.terminal == "", readyReason, notReadyMsg)
	cond(corev1.PodScheduled, true, "", "")
	return s
}

func anyStarted(cs []*containerState) bool {
	for _, c := range cs {
		if c.runs > 0 {
			return true
		}
	}
	return false
}

func containerStatus(pod *corev1.Pod, st *podState, cs *containerState) corev1.ContainerStatus {
	c := specOf(pod, cs.name)
	s := corev1.ContainerStatus{
		Name:         cs.name,
		Image:        c.Image,
		ImageID:      "meshbench://local",
		RestartCount: cs.restarts,
	}
	running := cs.running()
	started := running
	s.Started = &started
	switch {
	case running:
		s.State.Running = &corev1.ContainerStateRunning{StartedAt: metaTime(cs.startedAt)}
		s.ContainerID = containerID(st.uid, cs)
		s.Ready = cs.ready
	case cs.finished != nil:
		s.State.Terminated = cs.finished
		s.ContainerID = cs.finished.ContainerID
	case cs.waiting != nil:
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: cs.waiting.reason, Message: cs.waiting.message}
	case st.terminal != "":
		s.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "ContainerStatusUnknown", Message: "the pod finished before the container ran"}
	default:
		reason := "ContainerCreating"
		if cs.init {
			reason = "PodInitializing"
		}
		s.State.Waiting = &corev1.ContainerStateWaiting{Reason: reason}
	}
	if cs.lastTerm != nil && cs.lastTerm != cs.finished {
		s.LastTerminationState.Terminated = cs.lastTerm
	}
	return s
}

// patchStatus reports the pod's status through /status as a two-way merge
// patch from the status the agent last saw to the one it computes (as
// kubelet does): fields that went away are removed, fields other parts own
// (conditions of other types, nominatedNodeName) are kept. The patch names
// the pod's UID, so it never lands on a new pod of the same name. Nothing
// is sent when nothing changed.
func (a *Agent) patchStatus(ctx context.Context, pod *corev1.Pod, st *podState) error {
	want := a.podStatus(pod, st)
	next := pod.Status.DeepCopy()
	next.Phase, next.HostIP, next.HostIPs = want.Phase, want.HostIP, want.HostIPs
	next.PodIP, next.PodIPs, next.StartTime = want.PodIP, want.PodIPs, want.StartTime
	next.InitContainerStatuses, next.ContainerStatuses = want.InitContainerStatuses, want.ContainerStatuses
	mine := map[corev1.PodConditionType]bool{}
	for _, c := range want.Conditions {
		mine[c.Type] = true
	}
	conds := want.Conditions
	for _, c := range pod.Status.Conditions {
		if !mine[c.Type] {
			conds = append(conds, c)
		}
	}
	next.Conditions = conds
	oldJSON, err := json.Marshal(corev1.Pod{Status: pod.Status})
	if err != nil {
		return err
	}
	newJSON, err := json.Marshal(corev1.Pod{Status: *next})
	if err != nil {
		return err
	}
	if bytes.Equal(oldJSON, newJSON) {
		return nil
	}
	patch, err := strategicpatch.CreateTwoWayMergePatch(oldJSON, newJSON, corev1.Pod{})
	if err != nil {
		return err
	}
	var m map[string]any
	if err := json.Unmarshal(patch, &m); err != nil {
		return err
	}
	m["metadata"] = map[string]any{"uid": pod.UID}
	if patch, err = json.Marshal(m); err != nil {
		return err
	}
	_, err = a.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{}, "status")
	return err
}

func metaTime(t time.Time) metav1.Time { return metav1.NewTime(t) }

func ptrTime(t time.Time) *metav1.Time {
	m := metav1.NewTime(t)
	return &m
}

func splitKey(key string) (namespace, name string) {
	ns, n, _ := strings.Cut(key, "/")
	return ns, n
}
