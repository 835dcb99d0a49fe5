package main

import (
	"strings"
	"testing"
)

// A value a flag cannot take is answered by one line that names the flag
// and says the form it accepts.
func TestBadFlagValuesSayTheAcceptedForm(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"serve", "--port", "abc"}, []string{"--port", `"abc"`, "whole number"}},
		{[]string{"serve", "--delay", "5"}, []string{"--delay", `"5"`, "unit", "ms"}},
		{[]string{"load", "--target", "http://127.0.0.1:1", "--rate", "fast"}, []string{"--rate", "a number"}},
		{[]string{"load", "--target", "http://127.0.0.1:1", "--rate", "1000000000"}, []string{"--rate", "1000000000", "at most 1000000"}},
		{[]string{"load", "--target", "http://127.0.0.1:99999"}, []string{"--target", "99999", "1..65535"}},
		{[]string{"load", "--keepalive=maybe"}, []string{"--keepalive", "true or false"}},
		{[]string{"load", "--sizes"}, []string{"--sizes", "needs a value"}},
		{[]string{"serve", "--nope"}, []string{"--nope", "--help"}},
		{[]string{"probe", "--url", "http://127.0.0.1:99999", "--count", "1"}, []string{"--url", "99999"}},
		{[]string{"probe", "--url", "http://127.0.0.1:", "--count", "1"}, []string{"--url", "port"}},
		{[]string{"run", "--shape", "ports,nope"}, []string{"--shape", `"nope"`, "peers"}},
		{[]string{"run", "--shape", "ports,peers,ports"}, []string{"--shape", "ports given twice"}},
		{[]string{"run", "--shape", "ports,,peers"}, []string{"--shape", "empty shape"}},
		{[]string{"run", "--kind", "linkerd", "--shape", "ports"}, []string{"--shape", "identities"}},
		{[]string{"run", "--datapath-pod"}, []string{"--datapath-pod", "add datapath to --measure"}},
		{[]string{"run", "--measure", "latency,rtt", "--datapath-pod"}, []string{"--datapath-pod", "--measure datapath"}},
		{[]string{"run", "--datapath-pod=maybe"}, []string{"--datapath-pod", "true or false"}},
		{[]string{"datapath-agent", "--every", "10ms"}, []string{"--every", "100ms or more"}},
		{[]string{"rtt", "--target", "127.0.0.1:1", "--rate", "-1"}, []string{"--rate", "0 (back to back) to 100000"}},
		{[]string{"rtt", "--target", "127.0.0.1:1", "--rate", "NaN"}, []string{"--rate", "0 (back to back) to 100000"}},
		{[]string{"run", "--measure", "latency,rtt", "--rtt-rate", "1e9"}, []string{"--rtt-rate", "0 (back to back) to 100000"}},
		{[]string{"datapath-agent", "--every", "1"}, []string{"--every", "unit"}},
	} {
		code, stderr := run(t, c.args...)
		line := strings.TrimSpace(stderr)
		ok := code == 2 && !strings.Contains(line, "\n")
		for _, w := range c.want {
			ok = ok && strings.Contains(line, w)
		}
		if !ok {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr, c.want)
		}
	}
}
