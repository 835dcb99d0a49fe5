package lab

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// The lab's kube-proxy and kube-router own every iptables chain whose name
// starts with KUBE- (kube-proxy: KUBE-SERVICES, KUBE-SVC-*, KUBE-SEP-*, ...;
// kube-router: KUBE-ROUTER-*, KUBE-NWPLCY-*, KUBE-POD-FW-*) and kube-router
// the ipsets below. up refuses to start when any exist that are not the lab's
// (another Kubernetes node runs here), so down may remove them by name.
const labChainPrefix = "KUBE-"

var labIPSetPrefixes = []string{"KUBE-SRC-", "KUBE-DST-", "kube-router-"}

var netfilterTables = []string{"filter", "nat", "mangle", "raw"}

func isLabChain(name string) bool { return strings.HasPrefix(name, labChainPrefix) }

func isLabIPSet(name string) bool {
	name = strings.TrimPrefix(name, "inet6:")
	for _, p := range labIPSetPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	return false
}

// iptablesFamilies are the tools of the families kube-proxy and kube-router
// program; ip6tables is skipped where it is not installed.
func iptablesFamilies() []string {
	var out []string
	for _, f := range []string{"iptables", "ip6tables"} {
		if _, err := exec.LookPath(f + "-save"); err == nil {
			out = append(out, f)
		}
	}
	return out
}

// labChains lists the lab-named chains of one family and table, and the rules
// of other chains that jump to them, as iptables-save prints them.
func labChains(ctx context.Context, family, table string) (chains, jumps []string, err error) {
	out, err := run(ctx, family+"-save", "-t", table)
	if err != nil {
		// A table the kernel does not have holds no chains of the lab.
		if strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "Table does not exist") {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.HasPrefix(line, ":"):
			if name := strings.Fields(line[1:]); len(name) > 0 && isLabChain(name[0]) {
				chains = append(chains, name[0])
			}
		case strings.HasPrefix(line, "-A "):
			f := strings.Fields(line)
			if len(f) > 1 && !isLabChain(f[1]) && jumpsToLabChain(f) {
				jumps = append(jumps, line)
			}
		}
	}
	return chains, jumps, nil
}

func jumpsToLabChain(fields []string) bool {
	for i := 0; i+1 < len(fields); i++ {
		if (fields[i] == "-j" || fields[i] == "-g") && isLabChain(fields[i+1]) {
			return true
		}
	}
	return false
}

// removeLabChains deletes, in one iptables-restore transaction per table, the
// rules that jump into lab chains, then the lab chains themselves.
func removeLabChains(ctx context.Context) error {
	var errs []string
	for _, family := range iptablesFamilies() {
		for _, table := range netfilterTables {
			chains, jumps, err := labChains(ctx, family, table)
			if err != nil {
				errs = append(errs, err.Error())
				continue
			}
			if len(chains) == 0 && len(jumps) == 0 {
				continue
			}
			var b strings.Builder
			fmt.Fprintf(&b, "*%s\n", table)
			for _, j := range jumps {
				b.WriteString("-D" + strings.TrimPrefix(j, "-A") + "\n")
			}
			for _, c := range chains {
				fmt.Fprintf(&b, "-F %s\n", c)
			}
			for _, c := range chains {
				fmt.Fprintf(&b, "-X %s\n", c)
			}
			b.WriteString("COMMIT\n")
			cmd := exec.CommandContext(ctx, family+"-restore", "--noflush")
			cmd.Stdin = strings.NewReader(b.String())
			if out, err := cmd.CombinedOutput(); err != nil {
				errs = append(errs, fmt.Sprintf("%s-restore (%s): %v: %s", family, table, err, strings.TrimSpace(string(out))))
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove iptables chains: %s", strings.Join(errs, "; "))
	}
	return nil
}

// foundLabChains lists "family/table/chain" for every lab-named chain.
func foundLabChains(ctx context.Context) ([]string, error) {
	var found []string
	for _, family := range iptablesFamilies() {
		for _, table := range netfilterTables {
			chains, _, err := labChains(ctx, family, table)
			if err != nil {
				return nil, err
			}
			for _, c := range chains {
				found = append(found, family+"/"+table+"/"+c)
			}
		}
	}
	return found, nil
}

// foundLabIPSets lists the ipsets with lab names.
func foundLabIPSets(ctx context.Context) ([]string, error) {
	if _, err := exec.LookPath("ipset"); err != nil {
		return nil, nil
	}
	out, err := run(ctx, "ipset", "list", "-n")
	if err != nil {
		return nil, err
	}
	var found []string
	for _, name := range strings.Fields(out) {
		if isLabIPSet(name) {
			found = append(found, name)
		}
	}
	return found, nil
}

// removeLabIPSets destroys the lab-named ipsets; run it after the iptables
// rules that reference them are gone.
func removeLabIPSets(ctx context.Context) error {
	sets, err := foundLabIPSets(ctx)
	if err != nil {
		return err
	}
	var errs []string
	for _, s := range sets {
		if _, err := run(ctx, "ipset", "destroy", s); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove ipsets: %s", strings.Join(errs, "; "))
	}
	return nil
}
