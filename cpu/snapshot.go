package cpu

import (
	"time"

	"github.com/meshbench/meshbench/results"
)

// Snapshot is one instant's cumulative CPU counters: the node's /proc/stat
// and, when known, one cgroup's cpu.stat. Two snapshots make a figure
// (Between); they travel as JSON, so a server can hand its own to a client
// that brackets a measurement with them.
type Snapshot struct {
	At   time.Time `json:"at"`
	CPUs int       `json:"cpus"`
	// Ticks are /proc/stat's aggregate times in USER_HZ ticks: user, nice,
	// system, idle, iowait, irq, softirq, steal.
	Ticks [8]uint64 `json:"ticks"`
	// Cgroup is the cgroup directory read, empty when none.
	Cgroup           string `json:"cgroup,omitempty"`
	CgroupUsageUsec  int64  `json:"cgroupUsageUsec,omitempty"`
	CgroupUserUsec   int64  `json:"cgroupUserUsec,omitempty"`
	CgroupSystemUsec int64  `json:"cgroupSystemUsec,omitempty"`
}

// Take reads a snapshot of the node (procStat, default /proc/stat) and of
// cgroup ("" for none); an unreadable cgroup leaves its counters out.
func Take(procStat, cgroup string) (Snapshot, error) {
	if procStat == "" {
		procStat = "/proc/stat"
	}
	p, cpus, err := readProcStat(procStat)
	if err != nil {
		return Snapshot{}, err
	}
	s := Snapshot{At: time.Now(), CPUs: cpus,
		Ticks: [8]uint64{p.user, p.nice, p.system, p.idle, p.iowait, p.irq, p.softirq, p.steal}}
	if cgroup != "" {
		if u, err := readCgroup(cgroup); err == nil {
			s.Cgroup = cgroup
			s.CgroupUsageUsec = u.usage.Microseconds()
			s.CgroupUserUsec = u.user.Microseconds()
			s.CgroupSystemUsec = u.system.Microseconds()
		}
	}
	return s, nil
}

// Between is the CPU used from a to b, in cores.
func Between(a, b Snapshot) *results.CPU {
	sec := b.At.Sub(a.At).Seconds()
	at := func(i int) float64 { return cores(a.Ticks[i], b.Ticks[i], sec) }
	c := &results.CPU{
		Duration: b.At.Sub(a.At), CPUs: b.CPUs,
		User: at(0), Nice: at(1), System: at(2), Idle: at(3), IOWait: at(4), IRQ: at(5), Softirq: at(6), Steal: at(7),
	}
	if a.Cgroup != "" && a.Cgroup == b.Cgroup && sec > 0 {
		usec := func(x, y int64) float64 { return float64(y-x) / 1e6 / sec }
		c.CgroupPath = b.Cgroup
		c.Cgroup = usec(a.CgroupUsageUsec, b.CgroupUsageUsec)
		c.CgroupUser = usec(a.CgroupUserUsec, b.CgroupUserUsec)
		c.CgroupSystem = usec(a.CgroupSystemUsec, b.CgroupSystemUsec)
	}
	return c
}

// ParseSnapshot is the snapshot of a node's /proc/stat read elsewhere (in
// a node's namespace, through a pod) at the instant at.
func ParseSnapshot(procStat []byte, at time.Time) (Snapshot, error) {
	p, cpus, err := parseProcStat(procStat)
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{At: at, CPUs: cpus,
		Ticks: [8]uint64{p.user, p.nice, p.system, p.idle, p.iowait, p.irq, p.softirq, p.steal}}, nil
}
