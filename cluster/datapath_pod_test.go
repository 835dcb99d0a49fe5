package cluster

import "testing"

// The datapath pod runs the agent on the node it is bound to, in the
// node's network, privileged as root, with the node's root read-only, and
// carries the run's labels so that the run's cleanup finds it.
func TestDatapathAgentPod(t *testing.T) {
	w := Workload{Namespace: "ns", RunID: "r1", Image: "ghcr.io/meshbench/meshbench:dev"}
	p := w.DatapathAgent(DatapathPodName(1), "node-b")
	if p.Spec.NodeName != "node-b" || !p.Spec.HostNetwork {
		t.Errorf("node %q hostNetwork %v", p.Spec.NodeName, p.Spec.HostNetwork)
	}
	if sel := RunSelector("r1"); !ownedBy(p.Labels, "r1") || p.Labels[LabelRole] != RoleDatapath {
		t.Errorf("labels %v, want %s and role %s", p.Labels, sel, RoleDatapath)
	}
	c := p.Spec.Containers[0]
	if c.Command[0] != "meshbench" || c.Command[1] != "datapath-agent" {
		t.Errorf("command %q", c.Command)
	}
	sc := c.SecurityContext
	if sc == nil || sc.Privileged == nil || !*sc.Privileged || sc.RunAsUser == nil || *sc.RunAsUser != 0 {
		t.Errorf("security context %+v", sc)
	}
	if len(c.VolumeMounts) != 1 || !c.VolumeMounts[0].ReadOnly || c.VolumeMounts[0].MountPath != DatapathHostRoot {
		t.Errorf("mounts %+v", c.VolumeMounts)
	}
	if len(p.Spec.Volumes) != 1 || p.Spec.Volumes[0].HostPath == nil || p.Spec.Volumes[0].HostPath.Path != "/" {
		t.Errorf("volumes %+v", p.Spec.Volumes)
	}
}
