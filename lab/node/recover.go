package node

import (
	"context"
	"errors"
	"net/netip"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
)

// recover reconciles the host with the cluster when the agent starts, after
// a clean stop or a crash. A pod that still exists keeps its address and
// network; processes a previous agent left in its netns are killed (the
// agent cannot wait on them) and its containers start again, counted as
// restarts. Records, netns and veths of pods that are gone are removed. Only
// names with the lab's prefixes are touched.
func (a *Agent) recover(ctx context.Context) error {
	recs, orphans, err := a.store.Load()
	if err != nil {
		return err
	}
	var errs []error
	keep := map[string]bool{}
	for _, rec := range recs {
		pod, _ := a.lister.Pods(rec.Namespace).Get(rec.Name)
		if pod == nil || pod.UID != types.UID(rec.UID) {
			pn := PodNetwork{Netns: rec.Netns, Veth: rec.Veth, IP: rec.IP}
			KillNetnsProcesses(rec.Netns)
			if err := pn.Teardown(ctx); err != nil {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, a.store.Remove(rec.UID))
			a.log.Info("removed a pod that is gone", "pod", rec.Namespace+"/"+rec.Name, "uid", rec.UID)
			continue
		}
		st := newPodState(pod)
		st.net = &PodNetwork{Netns: rec.Netns, Veth: rec.Veth, IP: rec.IP}
		KillNetnsProcesses(rec.Netns)
		terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
		if terminal || !rec.IP.IsValid() {
			st.terminal = pod.Status.Phase
			if st.terminal == "" {
				st.terminal = corev1.PodFailed
			}
			if err := st.net.Teardown(ctx); err != nil {
				errs = append(errs, err)
			}
			st.net = nil
			if ip, err := netip.ParseAddr(pod.Status.PodIP); err == nil {
				st.ip = ip
			}
		} else {
			if err := a.ipam.Reserve(rec.IP, rec.UID); err != nil {
				errs = append(errs, err)
				continue
			}
			st.ip = rec.IP
			keep[rec.Netns] = true
			a.log.Info("taking over pod", "pod", st.key, "ip", rec.IP)
		}
		a.mu.Lock()
		a.pods[st.key] = st
		a.mu.Unlock()
		a.queue.Add(st.key)
	}
	for _, uid := range orphans {
		errs = append(errs, a.store.Remove(uid))
	}
	// Namespaces and veths without a record: left by a crash between
	// creating them and saving the record, or by a lost state directory.
	nss, err := LabNetns()
	errs = append(errs, err)
	for _, ns := range nss {
		if !keep[ns] {
			errs = append(errs, RemoveNetns(ctx, ns))
		}
	}
	veths, err := LabVeths()
	errs = append(errs, err)
	for _, v := range veths {
		if !keep[NetnsPrefix+v[len(VethPrefix):]] {
			errs = append(errs, RemoveVeth(ctx, v))
		}
	}
	return errors.Join(errs...)
}
