package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/meshbench/meshbench/cpu"
)

// cpuFlags are the CPU sampling flags the measuring commands share.
type cpuFlags struct {
	off        bool
	noServer   bool
	cgroup     string
	prometheus string
	queries    []string
}

func (c *cpuFlags) register(f *pflag.FlagSet) {
	f.BoolVar(&c.off, "no-cpu", false, "do not sample CPU (/proc/stat and the cgroup's cpu.stat) during the measurement")
	f.BoolVar(&c.noServer, "no-server-cpu", false, "do not ask the server for its node's and cgroup's CPU over the same window")
	f.StringVar(&c.cgroup, "cgroup", "", "cgroup `DIR` whose cpu.stat counts as this pod (default this process's own; '-' for none)")
	f.StringVar(&c.prometheus, "prometheus", "", "Prometheus `URL` to ask for mesh components' CPU over the measurement window")
	f.StringArrayVar(&c.queries, "prometheus-query", nil, "`NAME=PROMQL` giving a component's cores; $window is the window, e.g. 10s (default: ztunnel, linkerd-proxy, cilium-agent from cAdvisor)")
}

// server says whether to ask the server for its own CPU.
func (c *cpuFlags) server() bool { return !c.off && !c.noServer }

// options turns the flags into sampler options; an unreachable Prometheus
// is bad input, found before measuring.
func (c *cpuFlags) options(ctx context.Context) (*cpu.Options, error) {
	if c.off {
		if c.prometheus != "" {
			return nil, usagef("--prometheus: cannot be used with --no-cpu")
		}
		return nil, nil
	}
	o := &cpu.Options{Cgroup: c.cgroup, Source: "client"}
	if c.cgroup != "" && c.cgroup != "-" {
		if err := cpu.CheckCgroup(c.cgroup); err != nil {
			return nil, usagef("--cgroup %q: want a cgroup directory with cpu.stat or cpuacct.usage", c.cgroup)
		}
	}
	var qs []cpu.Query
	for _, q := range c.queries {
		pq, err := cpu.ParseQuery(q)
		if err != nil {
			return nil, usagef("--prometheus-query %v", err)
		}
		qs = append(qs, pq)
	}
	if len(qs) > 0 && c.prometheus == "" {
		return nil, usagef("--prometheus-query: needs --prometheus URL")
	}
	if c.prometheus != "" {
		p, err := cpu.NewPrometheus(ctx, c.prometheus, qs)
		if err != nil {
			return nil, usagef("--prometheus %q: unreachable or not a Prometheus API (%v); want the server's base URL, e.g. http://prometheus:9090", c.prometheus, err)
		}
		o.Prometheus = p
	}
	return o, nil
}
