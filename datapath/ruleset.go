package datapath

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// Ruleset is one network namespace's iptables tables with their counters,
// as iptables-save -c prints them.
type Ruleset struct {
	Tables map[string]*Table
}

// Table is one iptables table: its chains by name.
type Table struct {
	Name   string
	Chains map[string]*Chain
	// Order is the chains in the order iptables-save listed them.
	Order []string
}

// Chain is one chain. A built-in chain has a policy and a counter of the
// packets that reached it; a user-defined chain's packets return to the
// rule that jumped to it.
type Chain struct {
	Name    string
	Builtin bool
	// PolicyPackets counts packets that fell through to the policy.
	PolicyPackets uint64
	Rules         []Rule
}

// Rule is one rule with the count of packets it matched.
type Rule struct {
	Packets uint64
	// Target is the -j (or -g) target: ACCEPT, DROP, RETURN, a chain, or a
	// non-terminating extension such as MARK; empty when the rule only counts.
	Target string
	// Goto: -g, the chain never returns here.
	Goto bool
	// Spec is the rule as iptables-save wrote it, without the counters.
	Spec string
}

// ParseSave reads the output of iptables-save -c.
func ParseSave(out []byte) (*Ruleset, error) {
	rs := &Ruleset{Tables: map[string]*Table{}}
	var t *Table
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64*1024), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "*"):
			t = &Table{Name: line[1:], Chains: map[string]*Chain{}}
			rs.Tables[t.Name] = t
		case line == "COMMIT":
			t = nil
		case t == nil:
			return nil, fmt.Errorf("iptables-save line %d: %q outside a table", n, line)
		case strings.HasPrefix(line, ":"):
			c, err := parseChain(line)
			if err != nil {
				return nil, fmt.Errorf("iptables-save line %d: %w", n, err)
			}
			t.Chains[c.Name] = c
			t.Order = append(t.Order, c.Name)
		case strings.HasPrefix(line, "["):
			chain, r, err := parseRule(line)
			if err != nil {
				return nil, fmt.Errorf("iptables-save line %d: %w", n, err)
			}
			c := t.Chains[chain]
			if c == nil {
				return nil, fmt.Errorf("iptables-save line %d: rule of undeclared chain %s", n, chain)
			}
			c.Rules = append(c.Rules, r)
		default:
			return nil, fmt.Errorf("iptables-save line %d: %q: want -c output (counters before every rule)", n, line)
		}
	}
	return rs, sc.Err()
}

// parseChain reads ":NAME POLICY [packets:bytes]"; POLICY is "-" for a
// user-defined chain.
func parseChain(line string) (*Chain, error) {
	f := strings.Fields(line[1:])
	if len(f) < 2 {
		return nil, fmt.Errorf("chain line %q", line)
	}
	c := &Chain{Name: f[0], Builtin: f[1] != "-"}
	if len(f) >= 3 {
		p, _, err := parseCounters(f[2])
		if err != nil {
			return nil, err
		}
		c.PolicyPackets = p
	}
	return c, nil
}

// parseRule reads "[packets:bytes] -A CHAIN spec...".
func parseRule(line string) (chain string, r Rule, err error) {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return "", r, fmt.Errorf("rule line %q: no counters", line)
	}
	if r.Packets, _, err = parseCounters(line[:end+1]); err != nil {
		return "", r, err
	}
	args := splitArgs(line[end+1:])
	if len(args) < 2 || args[0] != "-A" {
		return "", r, fmt.Errorf("rule line %q: want -A CHAIN", line)
	}
	chain = args[1]
	r.Spec = strings.Join(args[2:], " ")
	for i := 2; i+1 < len(args); i++ {
		switch args[i] {
		case "-j", "--jump":
			r.Target = args[i+1]
		case "-g", "--goto":
			r.Target, r.Goto = args[i+1], true
		}
	}
	return chain, r, nil
}

func parseCounters(s string) (packets, bytes uint64, err error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	p, b, ok := strings.Cut(s, ":")
	if !ok {
		return 0, 0, fmt.Errorf("counters %q: want [packets:bytes]", s)
	}
	if packets, err = strconv.ParseUint(p, 10, 64); err == nil {
		bytes, err = strconv.ParseUint(b, 10, 64)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("counters %q: %w", s, err)
	}
	return packets, bytes, nil
}

// splitArgs splits a rule the way iptables-save quotes it: words, and
// double-quoted strings (comments) with backslash escapes.
func splitArgs(s string) []string {
	var args []string
	var cur strings.Builder
	in, quoted, esc := false, false, false
	for _, r := range s {
		switch {
		case esc:
			cur.WriteRune(r)
			esc = false
		case r == '\\' && quoted:
			esc = true
		case r == '"':
			quoted, in = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if in {
				args = append(args, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		args = append(args, cur.String())
	}
	return args
}

// RuleCount is the number of rules in chains keep accepts, in every table.
func (rs *Ruleset) RuleCount(keep func(chain string) bool) int {
	n := 0
	for _, t := range rs.Tables {
		for name, c := range t.Chains {
			if keep == nil || keep(name) {
				n += len(c.Rules)
			}
		}
	}
	return n
}
