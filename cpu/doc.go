// Package cpu samples CPU use during a measurement: node-wide from /proc/stat
// (user, system, softirq, steal, idle in cores), one cgroup's own use from its
// cpu.stat (this process's or a pod's), and optionally mesh components'
// use from Prometheus over the measurement window.
//
// Node-wide figures say what the network path cost the node (softirq is
// where the kernel moves packets); the cgroup says how much of it was the
// benchmark itself.
//
//	s, err := cpu.Start(ctx, cpu.Options{})
//	... measure ...
//	figures := s.Stop() // *results.CPU
package cpu
