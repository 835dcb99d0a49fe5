package lab

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// ComponentStatus is one component's state.
type ComponentStatus struct {
	Name    string
	PIDs    []int // empty when not running
	Healthy bool
	Detail  string // why not healthy, or what was checked
}

// Status reports each component of the lab at o.StateDir.
func Status(ctx context.Context, o Options) []ComponentStatus {
	o = o.withDefaults()
	return status(ctx, layout(o.StateDir))
}

func status(ctx context.Context, l layout) []ComponentStatus {
	pids := map[string][]int{}
	for _, p := range findProcesses(l) {
		pids[p.name] = append(pids[p.name], p.pid)
	}
	checks := map[string]struct {
		what  string
		check func(context.Context) error
	}{
		etcdName:      {"/health", etcdHealthy},
		apiserverName: {"/readyz", apiserverReady(l)},
		agentName:     {"node " + NodeName + " Ready", nodeReady(l)},
		proxyName:     {"/healthz", kubeProxyHealthy},
		routerName:    {"chain KUBE-ROUTER-FORWARD", kubeRouterChains},
	}
	var out []ComponentStatus
	for _, name := range componentOrder {
		s := ComponentStatus{Name: name, PIDs: pids[name]}
		c, hasCheck := checks[name]
		switch {
		case len(s.PIDs) == 0:
			s.Detail = "not running"
		case !hasCheck:
			// Started with --secure-port=0: no health endpoint; running is
			// what can be told.
			s.Healthy, s.Detail = true, "running"
		default:
			if err := c.check(ctx); err != nil {
				s.Detail = c.what + ": " + err.Error()
			} else {
				s.Healthy, s.Detail = true, c.what+" ok"
			}
		}
		out = append(out, s)
	}
	return out
}

// String renders a status line: "kube-apiserver  pid 123  healthy  /readyz ok".
func (s ComponentStatus) String() string {
	pids := "-"
	if len(s.PIDs) > 0 {
		var p []string
		for _, pid := range s.PIDs {
			p = append(p, strconv.Itoa(pid))
		}
		pids = "pid " + strings.Join(p, ",")
	}
	state := "unhealthy"
	if s.Healthy {
		state = "healthy"
	}
	return fmt.Sprintf("%-24s %-12s %-9s %s", s.Name, pids, state, s.Detail)
}
