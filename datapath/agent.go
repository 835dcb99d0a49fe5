package datapath

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// AgentSample is one reading of `meshbench datapath-agent`, printed as one
// JSON line: what Take needs of a node that meshbench cannot enter, read
// by a pod on it and carried back through the pod's log.
type AgentSample struct {
	Seq uint64    `json:"seq"`
	At  time.Time `json:"at"`
	// IptablesGz is iptables-save -c, gzipped: a thousand rules are some
	// hundred kilobytes of text a second, and the log line must stay small
	// enough for the kubelet's log files and its follow stream.
	IptablesGz  []byte `json:"iptables_gz,omitempty"`
	IptablesErr string `json:"iptables_error,omitempty"`
	// Proc is /proc/stat followed by /proc/loadavg, as `cat` prints them.
	Proc    string `json:"proc,omitempty"`
	ProcErr string `json:"proc_error,omitempty"`
}

// MaxAgentLine bounds one sample's JSON line; a sample whose rules would
// not fit says so in IptablesErr instead.
const MaxAgentLine = 1 << 20

// IptablesSave runs iptables-save -c. With hostRoot, the directory where
// the node's root file system is mounted, it runs the node's own
// iptables-save chrooted there, so the program matches the node's
// iptables backend (legacy or nft) and the image needs none; when hostRoot
// holds no iptables-save it runs the one on PATH.
func IptablesSave(ctx context.Context, hostRoot string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "iptables-save", "-c")
	if hostRoot != "" {
		if prog := hostIptablesSave(hostRoot); prog != "" {
			cmd = exec.CommandContext(ctx, prog, "-c")
			cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: hostRoot}
			cmd.Dir = "/"
			cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		}
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %v: %s", cmd.String(), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return out, nil
}

// hostIptablesSave is the path, inside hostRoot, of the node's
// iptables-save, or "" when hostRoot has none. Lstat, as it is often an
// absolute symbolic link (to xtables-nft-multi) that resolves only inside
// the chroot.
func hostIptablesSave(hostRoot string) string {
	for _, p := range []string{"/usr/sbin/iptables-save", "/sbin/iptables-save", "/usr/bin/iptables-save", "/bin/iptables-save", "/usr/local/sbin/iptables-save"} {
		if _, err := os.Lstat(filepath.Join(hostRoot, p)); err == nil {
			return p
		}
	}
	return ""
}

// ReadProc returns /proc/stat and /proc/loadavg: the host's, also from a
// container, as neither file is namespaced.
func ReadProc() (string, error) {
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		return "", err
	}
	load, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "", err
	}
	return string(stat) + string(load), nil
}

// NewAgentSample is the sample seq of the rules save returned (or its
// error) and the proc files read now.
func NewAgentSample(seq uint64, rules []byte, saveErr error) AgentSample {
	s := AgentSample{Seq: seq, At: time.Now().UTC()}
	if saveErr != nil {
		s.IptablesErr = saveErr.Error()
	} else {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write(rules)
		_ = zw.Close()
		// Base64 in JSON is 4/3 of the bytes; the rest of the line is small.
		if n := b.Len() * 4 / 3; n > MaxAgentLine-64<<10 {
			s.IptablesErr = fmt.Sprintf("iptables-save -c printed %d bytes, %d gzipped: more than one log line of %d bytes holds", len(rules), b.Len(), MaxAgentLine)
		} else {
			s.IptablesGz = b.Bytes()
		}
	}
	var err error
	if s.Proc, err = ReadProc(); err != nil {
		s.ProcErr = err.Error()
	}
	return s
}

// RunAgent prints a sample to w at once and then every interval until ctx
// ends, reading the rules with save.
func RunAgent(ctx context.Context, w io.Writer, every time.Duration, save func(context.Context) ([]byte, error)) error {
	enc := json.NewEncoder(w)
	t := time.NewTicker(every)
	defer t.Stop()
	for seq := uint64(1); ; seq++ {
		rules, err := save(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err := enc.Encode(NewAgentSample(seq, rules, err)); err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Rules is the sample's iptables-save -c output.
func (s AgentSample) Rules() ([]byte, error) {
	if s.IptablesErr != "" {
		return nil, fmt.Errorf("%s", s.IptablesErr)
	}
	zr, err := gzip.NewReader(bytes.NewReader(s.IptablesGz))
	if err != nil {
		return nil, fmt.Errorf("sample %d's rules: %w", s.Seq, err)
	}
	return io.ReadAll(zr)
}

// ProcFiles is the sample's /proc/stat and /proc/loadavg.
func (s AgentSample) ProcFiles() ([]byte, error) {
	if s.ProcErr != "" {
		return nil, fmt.Errorf("%s", s.ProcErr)
	}
	return []byte(s.Proc), nil
}
