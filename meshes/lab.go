package meshes

// The meshbench lab runs its NetworkPolicy engine (kube-router, firewall only)
// as a host process, not as a DaemonSet, so no workload shows it. Detect
// recognises the lab by its Node, whose container runtime the lab's node agent
// reports as LabRuntimePrefix+"<n>", and takes the engine's name and version
// from the ConfigMap below when the lab publishes one.
const (
	LabRuntimePrefix = "meshbench-lab://"
	// LabPolicyEngine is the lab's engine when no ConfigMap names it.
	LabPolicyEngine = "kube-router"

	LabConfigMapNamespace = "kube-system"
	LabConfigMapName      = "meshbench-lab"
	// LabPolicyEngineKey holds the engine's name, e.g. "kube-router".
	LabPolicyEngineKey = "policy-engine"
	// LabPolicyEngineVersionKey holds its version, e.g. "v2.10.0".
	LabPolicyEngineVersionKey = "policy-engine-version"
	// LabL7ProxyKey is "false" where the engine has no L7 proxy: the lab's
	// Cilium runs without Envoy, so it cannot enforce HTTP rules.
	LabL7ProxyKey = "l7-proxy"
)
