package generators

import (
	"strconv"
	"strings"
)

// StepsFlag is the flag a plan's steps come from.
const StepsFlag = "--policies"

// ParseSteps parses a comma-separated list of policy counts such as
// "0,10,50,100,200". Counts are non-negative integers, each listed once, in
// any order (a plan may go down as well as up).
func ParseSteps(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, fieldErr(StepsFlag, s, "want at least one policy count, e.g. 0,10,50,100,200")
	}
	var steps []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil || n < 0 {
			return nil, fieldErr(StepsFlag, s, "step %q is not a non-negative integer; want e.g. 0,10,50,100,200", f)
		}
		steps = append(steps, n)
	}
	if err := checkSteps(steps); err != nil {
		return nil, err
	}
	return steps, nil
}

// checkSteps rejects empty, negative and repeated steps.
func checkSteps(steps []int) error {
	if len(steps) == 0 {
		return fieldErr(StepsFlag, "", "want at least one step, e.g. 0,10,50,100,200")
	}
	seen := make(map[int]bool, len(steps))
	for _, n := range steps {
		if n < 0 {
			return fieldErr(StepsFlag, formatSteps(steps), "step %d is negative; want non-negative policy counts", n)
		}
		if seen[n] {
			return fieldErr(StepsFlag, formatSteps(steps), "step %d is listed twice; list each count once", n)
		}
		seen[n] = true
	}
	return nil
}

func formatSteps(steps []int) string {
	s := make([]string, len(steps))
	for i, n := range steps {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
