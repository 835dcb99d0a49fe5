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
	Node    string // the node it serves; empty for the control plane
	PIDs    []int  // empty when not running
	Healthy bool
	Detail  string // why not healthy, or what was checked
}

// Status reports each component of the lab at o.StateDir: the control plane,
// then every node's agent, kube-proxy and policy engine.
func Status(ctx context.Context, o Options) []ComponentStatus {
	o = o.withDefaults()
	l := layout(o.StateDir)
	nodes, _ := readTopology(l)
	return status(ctx, l, nodes)
}

type check struct {
	what  string
	check func(context.Context) error
}

func status(ctx context.Context, l layout, nodes []Node) []ComponentStatus {
	pids := map[string][]int{}
	for _, p := range findProcesses(l) {
		pids[component{name: p.name, node: p.node}.id()] = append(pids[component{name: p.name, node: p.node}.id()], p.pid)
	}
	var out []ComponentStatus
	add := func(name, node string, c *check) {
		s := ComponentStatus{Name: name, Node: node, PIDs: pids[component{name: name, node: node}.id()]}
		switch {
		case len(s.PIDs) == 0:
			s.Detail = "not running"
		case c == nil:
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
	add(etcdName, "", &check{"/health", etcdHealthy})
	add(apiserverName, "", &check{"/readyz", apiserverReady(l)})
	add(managerName, "", nil)
	add(schedulerName, "", nil)
	network, _ := readNetwork(l)
	engine := readEngine(l)
	for _, n := range nodes {
		switch network {
		case VXLAN:
			add(flanneldName, n.Name, &check{"subnet.env and " + flannelVXLANDevice, flannelUp(l, n)})
		case WireGuard:
			add(wireguardName, n.Name, &check{"device " + WireGuardDevice(n), wireguardUp(n)})
		}
		add(agentName, n.Name, &check{"node Ready", nodeReady(l, n.Name)})
		add(proxyName, n.Name, &check{"/healthz on " + n.IP.String(), kubeProxyHealthy(n)})
		c := engineCheck(l, engine, n)
		add(engineName(engine), n.Name, &c)
	}
	return out
}

// String renders a status line:
// "mblab-node-1  kube-proxy  pid 123  healthy  /healthz ok".
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
	where := s.Node
	if where == "" {
		where = "control-plane"
	}
	return fmt.Sprintf("%-14s %-24s %-12s %-9s %s", where, s.Name, pids, state, s.Detail)
}
