package lab

import "context"

// engineComponents are node n's components under engine e: kube-router's
// lab runs nodeComponents as they are; Cilium's replaces kube-router with
// cilium-agent and tells the node agent (whose CNI calls run cilium-cni)
// where the agent's API socket is.
func engineComponents(l layout, o Options, e Engine, n Node) map[string]component {
	cs := nodeComponents(l, o, n)
	if e != EngineCilium {
		return cs
	}
	delete(cs, routerName)
	agent := cs[agentName]
	agent.env = append(agent.env, "CILIUM_SOCK="+l.ciliumSocket(n.Name))
	cs[agentName] = agent
	cs[ciliumName] = ciliumAgent(l, o, n)
	return cs
}

// engineName is the component that enforces policies under e.
func engineName(e Engine) string {
	if e == EngineCilium {
		return ciliumName
	}
	return routerName
}

// engineCheck is how the lab tells that node n's engine enforces policies.
func engineCheck(l layout, e Engine, n Node) check {
	if e == EngineCilium {
		return check{"API /v1/healthz", ciliumHealthy(l, n)}
	}
	return check{"chain KUBE-ROUTER-FORWARD", kubeRouterChains(n)}
}

// writeEngineCNIConfig writes node n's conflist for engine e.
func writeEngineCNIConfig(l layout, e Engine, n Node, network Network) error {
	if e == EngineCilium {
		return writeCNIConfig(l, n, ciliumCNIConfig(l, n))
	}
	return writeCNIConfig(l, n, ptpCNIConfig(l, n, network.MTU()))
}

// publishEngine records the running engine where meshbench detect reads it.
// kube-router's lab needs nothing: detect takes the lab's engine to be
// kube-router unless told otherwise.
func publishEngine(ctx context.Context, l layout, o Options, e Engine) error {
	if e == EngineCilium {
		return publishCilium(ctx, l, o)
	}
	return nil
}

// prepareEngine does what the engine needs once the apiserver answers and
// before any node component starts.
func prepareEngine(ctx context.Context, l layout, o Options, e Engine, nodes []Node) error {
	if e == EngineCilium {
		return prepareCilium(ctx, l, o, nodes)
	}
	return nil
}
