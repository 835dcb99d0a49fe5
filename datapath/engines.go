package datapath

import "strings"

// Engine names the iptables chains one engine owns.
type Engine struct {
	Name string
	// Owns says whether a chain is the engine's.
	Owns func(chain string) bool
	// Selected says whether only packets of pods a policy selects enter
	// the chain; nil when the engine has no such chains.
	Selected func(chain string) bool
}

func prefixed(prefixes ...string) func(string) bool {
	return func(chain string) bool {
		for _, p := range prefixes {
			if strings.HasPrefix(chain, p) {
				return true
			}
		}
		return false
	}
}

// Engines are the engines whose chains the lab and common clusters have.
// kube-router's network policy controller jumps from KUBE-ROUTER-FORWARD
// (and -INPUT, -OUTPUT) to one KUBE-POD-FW-* chain per pod a policy
// selects, and from there to one KUBE-NWPLCY-* chain per policy; kube-proxy
// owns the Service chains.
var Engines = []Engine{
	{
		Name:     "kube-router",
		Owns:     prefixed("KUBE-ROUTER-", "KUBE-POD-FW-", "KUBE-NWPLCY-"),
		Selected: prefixed("KUBE-POD-FW-", "KUBE-NWPLCY-"),
	},
	{
		Name: "kube-proxy",
		Owns: prefixed("KUBE-SERVICES", "KUBE-SVC-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-NODEPORTS",
			"KUBE-POSTROUTING", "KUBE-MARK-", "KUBE-FORWARD", "KUBE-PROXY-", "KUBE-FIREWALL",
			"KUBE-EXTERNAL-SERVICES", "KUBE-KUBELET-CANARY"),
	},
}
