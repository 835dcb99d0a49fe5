package datapath

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"os"
	"strings"
	"testing"
	"time"
)

// A real agent loop writes into a pipe, as the agent pod's log carries its
// lines; the node read from the other end answers Take with the saved
// rules and the host's /proc files.
func TestAgentNodeAnswersTakeFromTheAgentsSamples(t *testing.T) {
	saved, err := os.ReadFile("testdata/kube-router-3-policies.save")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	agentDone := make(chan error, 1)
	go func() {
		agentDone <- RunAgent(ctx, pw, 100*time.Millisecond, func(context.Context) ([]byte, error) { return saved, nil })
		pw.Close()
	}()
	node := FollowAgent("node-a", pr, 2*time.Second)

	got, err := node.Run(ctx, CommandSaveRules...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, saved) {
		t.Fatalf("rules differ from what the agent saved: %d bytes, want %d", len(got), len(saved))
	}
	// A snapshot is one sample, timed by the agent where it read the CPU.
	before := time.Now()
	s, err := Take(ctx, node)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(before); took > time.Second || s.At.Before(before.Add(-time.Millisecond)) {
		t.Errorf("Take took %s, snapshot at %s, called at %s: want one sample newer than the call", took, s.At, before)
	}
	if len(s.Notes) > 0 {
		t.Errorf("notes: %v", s.Notes)
	}
	if s.Rules == nil || s.Rules.RuleCount(Engines[0].Owns) < 50 {
		t.Errorf("rules of the snapshot: %+v", s.Rules)
	}
	if s.CPU == nil || s.CPU.CPUs < 1 {
		t.Errorf("CPU of the snapshot: %+v", s.CPU)
	}
	if _, err := node.Run(ctx, "ip", "route"); err == nil || !strings.Contains(err.Error(), "iptables-save") {
		t.Errorf("an unknown command: %v, want an error naming what the agent answers", err)
	}

	// A call waits for a sample newer than the call.
	start := time.Now()
	if _, err := node.Run(ctx, CommandReadProc...); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a call took %s with samples every 100ms", d)
	}

	cancel()
	if err := <-agentDone; err != nil {
		t.Fatalf("agent: %v", err)
	}
	if _, err := node.Run(context.Background(), CommandSaveRules...); err == nil || !strings.Contains(err.Error(), "ended") {
		t.Errorf("after the agent stopped: %v, want the log's end", err)
	}
}

// Lines that are not samples (the container's stderr shares its log) and a
// line beyond the limit are skipped; the samples around them still count.
func TestAgentNodeSkipsOtherLines(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("starting\n")
	b.WriteString(`{"seq":1,"at":"2026-01-01T00:00:00Z","iptables_error":"first"}` + "\n")
	b.WriteString(strings.Repeat("x", MaxAgentLine+10) + "\n")
	b.WriteString(`{"seq":2,"at":"2026-01-01T00:00:01Z","iptables_error":"second"}` + "\n")
	pr, pw := io.Pipe()
	node := FollowAgent("node-a", pr, 5*time.Second)
	done := make(chan error, 1)
	go func() { _, err := node.Run(context.Background(), CommandSaveRules...); done <- err }()
	time.Sleep(50 * time.Millisecond) // the call begins before the samples arrive
	go func() { _, _ = pw.Write(b.Bytes()) }()
	err := <-done
	if err == nil || (err.Error() != "first" && err.Error() != "second") {
		t.Fatalf("answer: %v, want a sample's error", err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for node.Skipped() < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := node.Skipped(); n != 2 {
		t.Errorf("skipped %d lines, want 2", n)
	}
	pw.Close()
}

// An agent that stops sending without its log ending fails calls after
// the stale time instead of holding the run.
func TestAgentNodeFailsWhenSamplesStop(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	node := FollowAgent("node-a", pr, 200*time.Millisecond)
	_, err := node.Run(context.Background(), CommandReadProc...)
	if err == nil || !strings.Contains(err.Error(), "no sample") {
		t.Fatalf("err %v, want no sample", err)
	}
}

// Rules too large for one log line leave an error in the sample, not a
// line the reader would drop.
func TestAgentSampleBoundsItsSize(t *testing.T) {
	noise := make([]byte, 2*MaxAgentLine) // random bytes do not compress
	_, _ = rand.Read(noise)
	s := NewAgentSample(1, noise, nil)
	if s.IptablesErr == "" || len(s.IptablesGz) > 0 {
		t.Fatalf("a sample of %d random bytes kept %d gzipped", len(noise), len(s.IptablesGz))
	}
	if _, err := s.Rules(); err == nil {
		t.Error("Rules of a sample too large: no error")
	}
	if p, err := s.ProcFiles(); err != nil || !bytes.Contains(p, []byte("procs_running")) {
		t.Errorf("proc files: %v", err)
	}
}

// The node's iptables-save is found under the mounted root also as an
// absolute link that resolves only inside it (Debian's alternatives,
// xtables-nft-multi); a root without one leaves PATH's.
func TestHostIptablesSaveFindsTheNodesLink(t *testing.T) {
	root := t.TempDir()
	if got := hostIptablesSave(root); got != "" {
		t.Errorf("an empty root: %q, want none", got)
	}
	if err := os.MkdirAll(root+"/usr/sbin", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/alternatives/iptables-save-only-inside", root+"/usr/sbin/iptables-save"); err != nil {
		t.Fatal(err)
	}
	if got := hostIptablesSave(root); got != "/usr/sbin/iptables-save" {
		t.Errorf("a root with a link: %q, want /usr/sbin/iptables-save", got)
	}
}

// Chrooted into this host's root (as into a node's at /host), the agent's
// iptables-save runs the host's own.
func TestIptablesSaveChrootedIntoTheHostRoot(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: iptables-save -c and chroot")
	}
	if hostIptablesSave("/") == "" {
		t.Skip("this host has no iptables-save")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	chrooted, err := IptablesSave(ctx, "/")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseSave(chrooted); err != nil {
		t.Errorf("output of the chrooted iptables-save: %v", err)
	}
}
