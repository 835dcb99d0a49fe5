package meshes

// The meshbench lab runs its NetworkPolicy engine (kube-router, firewall only)
// as a host process, not as a DaemonSet, so it announces itself with this
// ConfigMap; Detect reports its data as the cluster's policy engine.
const (
	LabConfigMapNamespace = "kube-system"
	LabConfigMapName      = "meshbench-lab"
	// LabPolicyEngineKey holds the engine's name, e.g. "kube-router".
	LabPolicyEngineKey = "policy-engine"
	// LabPolicyEngineVersionKey holds its version, e.g. "v2.10.0".
	LabPolicyEngineVersionKey = "policy-engine-version"
)
