package datapath

import "strings"

// Engine names the iptables chains one engine owns.
type Engine struct {
	Name string
	// Owns says whether a chain is the engine's.
	Owns func(chain string) bool
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
// (and -INPUT, -OUTPUT) to one KUBE-POD-FW-* chain per local pod (-d and
// -s the pod's address), and from a selected pod's chain to one
// KUBE-NWPLCY-* chain per policy that selects it; kube-proxy owns the
// Service chains.
var Engines = []Engine{
	{
		Name: "kube-router",
		Owns: prefixed("KUBE-ROUTER-", "KUBE-POD-FW-", "KUBE-NWPLCY-"),
	},
	{
		Name: "kube-proxy",
		Owns: prefixed("KUBE-SERVICES", "KUBE-SVC-", "KUBE-SEP-", "KUBE-EXT-", "KUBE-NODEPORTS",
			"KUBE-POSTROUTING", "KUBE-MARK-", "KUBE-FORWARD", "KUBE-PROXY-", "KUBE-FIREWALL",
			"KUBE-EXTERNAL-SERVICES", "KUBE-KUBELET-CANARY"),
	},
}

// PodChains are the chains of t that only one pod's packets enter: those
// the engine's rules jump to for destination ip ("-d ip/32") and that no
// rule enters for another address, and below them every chain all of whose
// callers are among them (a policy's chain jumped to from this pod's chain
// alone, not the chains every pod's packets share). A chain every pod's
// chain jumps to for its own address (kube-router's KUBE-NWPLCY-DEFAULT,
// entered "-d ip/32" by a pod no policy selects) is shared, not the pod's.
func PodChains(t *Table, ip string, owns func(string) bool) map[string]bool {
	dst, src := "-d "+ip+"/32 ", "-s "+ip+"/32 "
	callers := map[string]map[string]bool{}
	toPod, elsewhere := map[string]bool{}, map[string]bool{}
	for name, c := range t.Chains {
		for _, r := range c.Rules {
			if _, ok := t.Chains[r.Target]; !ok {
				continue
			}
			if callers[r.Target] == nil {
				callers[r.Target] = map[string]bool{}
			}
			callers[r.Target][name] = true
			spec := r.Spec + " "
			switch {
			case strings.Contains(spec, dst):
				toPod[r.Target] = toPod[r.Target] || (owns(name) && owns(r.Target))
			case !strings.Contains(spec, src) && (strings.Contains(spec, "-d ") || strings.Contains(spec, "-s ")):
				elsewhere[r.Target] = true
			}
		}
	}
	tree := map[string]bool{}
	for name := range toPod {
		if toPod[name] && !elsewhere[name] {
			tree[name] = true
		}
	}
	for grew := true; grew; {
		grew = false
		for name := range tree {
			for _, r := range t.Chains[name].Rules {
				j := r.Target
				if _, ok := t.Chains[j]; !ok || tree[j] || !owns(j) {
					continue
				}
				all := true
				for caller := range callers[j] {
					all = all && tree[caller]
				}
				if all {
					tree[j], grew = true, true
				}
			}
		}
	}
	return tree
}
