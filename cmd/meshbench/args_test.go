package main

import (
	"strings"
	"testing"
)

// An extra argument or an unknown command is bad input: exit 2 and one line
// that names what was wrong.
func TestStrayArgumentsAreBadInput(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "extra"}, `"extra"`},
		{[]string{"stream", "extra"}, `"extra"`},
		{[]string{"rtt", "extra"}, `"extra"`},
		{[]string{"run", "extra"}, `"extra"`},
		{[]string{"cleanup", "extra"}, `"extra"`},
		{[]string{"lab", "foo"}, `unknown command "foo"`},
		{[]string{"lab", "status", "foo"}, `"foo"`},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"reprot", "x.json"}, "did you mean report"},
	} {
		code, stderr := run(t, c.args...)
		line := strings.TrimSpace(stderr)
		if code != 2 || strings.Contains(line, "\n") || !strings.Contains(line, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %s", c.args, code, stderr, c.want)
		}
	}
}

// A command of commands without one still shows its help.
func TestCommandGroupsShowHelp(t *testing.T) {
	for _, args := range [][]string{{}, {"lab"}, {"--help"}} {
		if code, stderr := run(t, args...); code != 0 {
			t.Errorf("%v: exit %d, %s", args, code, stderr)
		}
	}
}
