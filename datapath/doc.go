// Package datapath measures the work a node's datapath does for the
// connections of a measuring window: how many iptables rules the packets
// were checked against and how many chains they entered (from the rule
// counters of iptables-save -c before and after the window), how many rules
// the engines have installed, and the CPU the kernel spent in softirq and
// system time meanwhile, with the node's load, so a report can tell the
// datapath's work (stable) from the machine's contention (not).
//
// It reads a node through a Node: a command run in the node's network
// namespace. The lab enters the namespace of its node directly; a real
// cluster needs a privileged pod on the node. Tests inject a Node that runs
// the commands in a network namespace of their own.
package datapath
