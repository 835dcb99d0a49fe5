package node

import (
	"context"
	"errors"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/meshbench/meshbench/lab/nsnet"
)

// recover reconciles the node with the cluster when the agent starts, after
// a clean stop or a crash. A pod that still exists keeps its namespace and
// address if CNI CHECK finds its wiring intact (else it is unwired and wired
// again); processes a previous agent left in its netns are killed (the
// agent cannot wait on them) and its containers start again, counted as
// restarts. Pods that are gone are unwired (CNI DEL) and their records
// removed. Only namespaces named for this node's pods are touched.
func (a *Agent) recover(ctx context.Context) error {
	recs, orphans, err := a.store.Load()
	if err != nil {
		return err
	}
	var errs []error
	keep := map[string]bool{}
	for _, rec := range recs {
		key := rec.Namespace + "/" + rec.Name
		if rec.HostNetwork {
			errs = append(errs, a.recoverHostPod(rec))
			continue
		}
		at := attachment(key, rec.UID, rec.Netns)
		if !isNodeNetns(a.cfg.NodeName, rec.Netns) {
			errs = append(errs, a.store.Remove(rec.UID))
			continue
		}
		pod, _ := a.lister.Pods(rec.Namespace).Get(rec.Name)
		if pod == nil || pod.UID != types.UID(rec.UID) {
			if err := a.teardownNetwork(ctx, at); err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, a.store.Remove(rec.UID))
			a.log.Info("removed a pod that is gone", "pod", key, "uid", rec.UID)
			continue
		}
		st := newPodState(pod)
		KillNetnsProcesses(rec.Netns)
		terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
		switch {
		case terminal || !rec.IP.IsValid():
			st.terminal = pod.Status.Phase
			if st.terminal == "" {
				st.terminal = corev1.PodFailed
			}
			if NetnsExists(rec.Netns) {
				errs = append(errs, a.teardownNetwork(ctx, at))
			}
			if ip, err := netip.ParseAddr(pod.Status.PodIP); err == nil {
				st.ip = ip
			}
		case !NetnsExists(rec.Netns):
			// Wired again by the next sync, as a runtime recreates a lost
			// sandbox; DEL first returns the old address.
			errs = append(errs, a.teardownNetwork(ctx, at))
			a.log.Info("pod network is gone; wiring it again", "pod", key)
		default:
			if err := a.cni.Check(ctx, at); err != nil {
				a.log.Info("pod network failed CNI CHECK; wiring it again", "pod", key, "err", err)
				errs = append(errs, a.teardownNetwork(ctx, at))
				break
			}
			st.net = &PodNetwork{Netns: rec.Netns, IP: rec.IP, HostVeth: rec.HostVeth}
			st.ip = rec.IP
			keep[rec.Netns] = true
			a.log.Info("taking over pod: CNI CHECK passed", "pod", key, "ip", rec.IP, "netns", rec.Netns)
		}
		a.mu.Lock()
		a.pods[st.key] = st
		a.mu.Unlock()
		a.queue.Add(st.key)
	}
	for _, uid := range orphans {
		errs = append(errs, a.store.Remove(uid))
	}
	// This node's pod namespaces without a record: left by a crash between
	// creating one and saving its record, or by a lost state directory.
	nss, err := nsnet.List(func(n string) bool { return isNodeNetns(a.cfg.NodeName, n) })
	errs = append(errs, err)
	for _, ns := range nss {
		if !keep[ns] {
			errs = append(errs, a.teardownNetwork(ctx, attachment("/", "", ns)))
		}
	}
	return errors.Join(errs...)
}
