package lab

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// Engine is the lab's NetworkPolicy engine: the program on every node that
// turns NetworkPolicies into the node's packet filter.
type Engine string

const (
	// EngineKubeRouter is kube-router in firewall-only mode: iptables and
	// ipset, pods wired by the reference ptp plugin. The default.
	EngineKubeRouter Engine = "kube-router"
	// EngineCilium is Cilium's agent: eBPF programs on every pod's
	// interface, pods wired by cilium-cni. It also enforces
	// CiliumNetworkPolicies.
	EngineCilium Engine = "cilium"
)

// Engines are the engines `lab up --engine` accepts, the default first.
var Engines = []Engine{EngineKubeRouter, EngineCilium}

// ParseEngine is the rule of `lab up --engine`.
func ParseEngine(s string) (Engine, error) {
	for _, e := range Engines {
		if string(e) == s {
			return e, nil
		}
	}
	names := make([]string, len(Engines))
	for i, e := range Engines {
		names[i] = string(e)
	}
	return "", fmt.Errorf("--engine %q: want one of %s", s, strings.Join(names, ", "))
}

// engineRecord is where up records the running lab's engine, which status,
// health and detect read back. A lab without it runs kube-router (labs
// before engines could be chosen).
func (l layout) engineRecord() string { return l.dir() + "/engine" }

func writeEngine(l layout, e Engine) error {
	return os.WriteFile(l.engineRecord(), []byte(string(e)+"\n"), 0o644)
}

func readEngine(l layout) Engine {
	b, err := os.ReadFile(l.engineRecord())
	if errors.Is(err, os.ErrNotExist) {
		return EngineKubeRouter
	}
	if e, err := ParseEngine(strings.TrimSpace(string(b))); err == nil {
		return e
	}
	return EngineKubeRouter
}

// RunningEngine is the engine of the lab at stateDir as its `up` recorded it.
func RunningEngine(stateDir string) Engine { return readEngine(layout(stateDir)) }
