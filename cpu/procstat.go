package cpu

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// userHZ is the unit of /proc/stat's times. The kernel exports them in
// USER_HZ, which is 100 on every Linux architecture Go supports (sysconf
// CLK_TCK is not reachable without cgo).
const userHZ = 100

// procTimes is the aggregate "cpu" line of /proc/stat, in USER_HZ ticks.
type procTimes struct {
	user, nice, system, idle, iowait, irq, softirq, steal uint64
}

// readProcStat reads the aggregate CPU times and counts the per-CPU lines.
func readProcStat(path string) (procTimes, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return procTimes{}, 0, err
	}
	return parseProcStat(b)
}

func parseProcStat(b []byte) (procTimes, int, error) {
	var t procTimes
	found := false
	cpus := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "cpu") {
			continue
		}
		fields := strings.Fields(line)
		if fields[0] != "cpu" {
			cpus++
			continue
		}
		// cpu user nice system idle iowait irq softirq steal [guest guest_nice]
		if len(fields) < 9 {
			return procTimes{}, 0, fmt.Errorf("/proc/stat: cpu line has %d fields, want at least 9", len(fields))
		}
		v := make([]uint64, 8)
		for i := range v {
			n, err := strconv.ParseUint(fields[i+1], 10, 64)
			if err != nil {
				return procTimes{}, 0, fmt.Errorf("/proc/stat: cpu field %d: %v", i+1, err)
			}
			v[i] = n
		}
		t = procTimes{user: v[0], nice: v[1], system: v[2], idle: v[3], iowait: v[4], irq: v[5], softirq: v[6], steal: v[7]}
		found = true
	}
	if err := sc.Err(); err != nil {
		// A line longer than the scanner holds: the rest was not read, so
		// the count of CPUs would be short.
		return procTimes{}, 0, fmt.Errorf("/proc/stat: %v", err)
	}
	if !found {
		return procTimes{}, 0, fmt.Errorf("/proc/stat: no aggregate cpu line")
	}
	return t, cpus, nil
}

// cores turns a tick difference over seconds into cores busy.
func cores(ticks0, ticks1 uint64, seconds float64) float64 {
	if ticks1 < ticks0 || seconds <= 0 {
		return 0
	}
	return float64(ticks1-ticks0) / userHZ / seconds
}
