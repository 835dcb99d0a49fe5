package node

import (
	"bufio"
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// How the node shows it is alive: the Lease is what the node lifecycle
// controller watches (40 s without renewal and the node goes NotReady, its
// pods later evicted); the Ready condition's heartbeat is refreshed with it.
const (
	heartbeatEvery   = 10 * time.Second
	leaseDuration    = 40
	nodeLeaseNS      = "kube-node-lease"
	maxPods          = 110
	kubeletVersion   = "v1.36.3" // the version of the control plane the lab builds
	containerRuntime = "meshbench-lab://1"
)

// registerNode creates the Node (or adopts the one a previous agent made),
// then reports its status and takes its Lease.
func (a *Agent) registerNode(ctx context.Context) error {
	nodes := a.client.CoreV1().Nodes()
	labels := map[string]string{
		"kubernetes.io/hostname":       a.cfg.NodeName,
		"kubernetes.io/os":             runtime.GOOS,
		"kubernetes.io/arch":           runtime.GOARCH,
		"app.kubernetes.io/managed-by": "meshbench",
	}
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: a.cfg.NodeName, Labels: labels},
		Spec:       corev1.NodeSpec{PodCIDR: a.cfg.PodCIDR, PodCIDRs: []string{a.cfg.PodCIDR}, Taints: a.cfg.Taints},
	}
	if _, err := nodes.Create(ctx, node, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if n.Spec.PodCIDR != "" && n.Spec.PodCIDR != a.cfg.PodCIDR {
			// podCIDR is immutable once set; the pods would be unroutable.
			return &mismatchError{field: "spec.podCIDR", have: n.Spec.PodCIDR, want: a.cfg.PodCIDR}
		}
		changed := n.Spec.PodCIDR == ""
		if changed {
			n.Spec.PodCIDR, n.Spec.PodCIDRs = a.cfg.PodCIDR, []string{a.cfg.PodCIDR}
		}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		if n.Annotations == nil {
			n.Annotations = map[string]string{}
		}
		for k, v := range a.cfg.Annotations {
			if n.Annotations[k] != v {
				n.Annotations[k], changed = v, true
			}
		}
		for k, v := range labels {
			if n.Labels[k] != v {
				n.Labels[k], changed = v, true
			}
		}
		if !changed {
			return nil
		}
		_, err = nodes.Update(ctx, n, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		return err
	}
	if err := a.updateNodeStatus(ctx); err != nil {
		return err
	}
	return a.renewLease(ctx)
}

type mismatchError struct{ field, have, want string }

func (e *mismatchError) Error() string {
	return "the Node already has " + e.field + " " + e.have + ", not " + e.want + "; delete the Node or use its value"
}

// heartbeat renews the Lease and the Ready condition until ctx ends.
func (a *Agent) heartbeat(ctx context.Context) {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := a.renewLease(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("renewing the node lease", "err", err)
		}
		if err := a.updateNodeStatus(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("updating the node status", "err", err)
		}
	}
}

// updateNodeStatus reports capacity, address, the kubelet endpoint and the
// conditions (Ready=True; no pressure), refreshing their heartbeat times.
func (a *Agent) updateNodeStatus(ctx context.Context) error {
	nodes := a.client.CoreV1().Nodes()
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		now := metav1.NewTime(time.Now())
		res := corev1.ResourceList{
			corev1.ResourceCPU:    *resource.NewQuantity(int64(runtime.NumCPU()), resource.DecimalSI),
			corev1.ResourceMemory: *resource.NewQuantity(memTotal(), resource.BinarySI),
			corev1.ResourcePods:   *resource.NewQuantity(maxPods, resource.DecimalSI),
		}
		n.Status.Capacity, n.Status.Allocatable = res, res.DeepCopy()
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: a.cfg.NodeIP}}
		n.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(a.cfg.KubeletPort)
		n.Status.NodeInfo = corev1.NodeSystemInfo{
			MachineID:               machineID(),
			KernelVersion:           kernelVersion(),
			OSImage:                 "meshbench lab",
			ContainerRuntimeVersion: containerRuntime,
			KubeletVersion:          kubeletVersion,
			OperatingSystem:         runtime.GOOS,
			Architecture:            runtime.GOARCH,
		}
		ready := corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", Message: "the lab's node agent is running"}
		if !a.networkReady.Load() {
			ready = corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionFalse, Reason: "KubeletNotReady", Message: "container runtime network not ready: no CNI configuration in " + a.cfg.CNIConfDir}
		}
		want := []corev1.NodeCondition{
			ready,
			{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientMemory"},
			{Type: corev1.NodeDiskPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasNoDiskPressure"},
			{Type: corev1.NodePIDPressure, Status: corev1.ConditionFalse, Reason: "KubeletHasSufficientPID"},
		}
		for i := range want {
			want[i].LastHeartbeatTime, want[i].LastTransitionTime = now, now
			for _, old := range n.Status.Conditions {
				if old.Type == want[i].Type && old.Status == want[i].Status {
					want[i].LastTransitionTime = old.LastTransitionTime
				}
			}
		}
		n.Status.Conditions = want
		_, err = nodes.UpdateStatus(ctx, n, metav1.UpdateOptions{})
		return err
	})
}

// renewLease takes or renews the node's Lease in kube-node-lease.
func (a *Agent) renewLease(ctx context.Context) error {
	leases := a.client.CoordinationV1().Leases(nodeLeaseNS)
	now := metav1.NewMicroTime(time.Now())
	l, err := leases.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		n, err := a.client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		holder, dur := a.cfg.NodeName, int32(leaseDuration)
		_, err = leases.Create(ctx, &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{
				Name:      a.cfg.NodeName,
				Namespace: nodeLeaseNS,
				OwnerReferences: []metav1.OwnerReference{{
					APIVersion: "v1", Kind: "Node", Name: n.Name, UID: n.UID,
				}},
			},
			Spec: coordinationv1.LeaseSpec{HolderIdentity: &holder, LeaseDurationSeconds: &dur, RenewTime: &now},
		}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	holder, dur := a.cfg.NodeName, int32(leaseDuration)
	l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &holder, &dur, &now
	_, err = leases.Update(ctx, l, metav1.UpdateOptions{})
	return err
}

// memTotal is the host's memory in bytes, from /proc/meminfo.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 1 << 30
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			if kb, err := strconv.ParseInt(fields[1], 10, 64); err == nil {
				return kb * 1024
			}
		}
	}
	return 1 << 30
}

func machineID() string {
	b, err := os.ReadFile("/etc/machine-id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

func kernelVersion() string {
	var u syscall.Utsname
	if syscall.Uname(&u) != nil {
		return ""
	}
	b := make([]byte, 0, len(u.Release))
	for _, c := range u.Release {
		if c == 0 {
			break
		}
		b = append(b, byte(c))
	}
	return string(b)
}
