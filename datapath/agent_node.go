package datapath

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"
)

// AgentNode is a node read through the samples of a datapath agent running
// on it, as they arrive on a stream (the agent pod's followed log). It
// answers the two commands Take and Recorder run, each from the first
// sample that arrives after the call began, so a call waits about one
// agent interval. It offers neither InNetns nor PodLinks: BPF programs'
// statistics need code in the node's namespace, which a log cannot carry.
type AgentNode struct {
	name string
	// stale is how long a call waits for a sample before it fails.
	stale time.Duration

	mu      sync.Mutex
	latest  *AgentSample
	arrived chan struct{} // closed and replaced when a sample arrives
	ended   error         // why the stream ended; nil while it lasts
	skipped int           // lines that were not samples (stderr, a cut line)
}

// Commands an AgentNode answers.
var (
	CommandSaveRules = []string{"iptables-save", "-c"}
	CommandReadProc  = []string{"cat", "/proc/stat", "/proc/loadavg"}
)

// FollowAgent reads samples from r until it ends and answers for node name;
// a call fails when no sample has arrived for stale.
func FollowAgent(name string, r io.Reader, stale time.Duration) *AgentNode {
	n := &AgentNode{name: name, stale: stale, arrived: make(chan struct{})}
	go n.read(r)
	return n
}

func (n *AgentNode) read(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	var err error
	for err == nil {
		var line []byte
		var cut bool
		line, cut, err = readLine(br, MaxAgentLine)
		if len(line) == 0 && !cut {
			continue
		}
		var s AgentSample
		if jerr := json.Unmarshal(line, &s); cut || jerr != nil || s.Seq == 0 {
			n.mu.Lock()
			n.skipped++
			n.mu.Unlock()
			continue
		}
		n.mu.Lock()
		n.latest = &s
		close(n.arrived)
		n.arrived = make(chan struct{})
		n.mu.Unlock()
	}
	if errors.Is(err, io.EOF) {
		err = errors.New("the agent's log ended")
	}
	n.mu.Lock()
	n.ended = err
	close(n.arrived)
	n.mu.Unlock()
}

// readLine returns the next line without its newline; a line longer than
// limit is dropped whole and reported cut.
func readLine(br *bufio.Reader, limit int) (line []byte, cut bool, err error) {
	for {
		var chunk []byte
		chunk, err = br.ReadSlice('\n')
		if !cut && len(line)+len(chunk) <= limit {
			line = append(line, chunk...)
		} else {
			line, cut = nil, true // drop the rest too
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if len(line) > 0 && line[len(line)-1] == '\n' {
			line = line[:len(line)-1]
		}
		return line, cut, err
	}
}

func (n *AgentNode) Name() string { return n.name }

// Run answers iptables-save -c and cat /proc/stat /proc/loadavg from the
// first sample that arrives after the call began; any other command is an
// error, as is an agent that stopped sending.
func (n *AgentNode) Run(ctx context.Context, argv ...string) ([]byte, error) {
	rules := slices.Equal(argv, CommandSaveRules)
	if !rules && !slices.Equal(argv, CommandReadProc) {
		return nil, fmt.Errorf("node %s is read through its datapath agent pod, which answers %q and %q, not %q", n.name, CommandSaveRules, CommandReadProc, argv)
	}
	s, err := n.Sample(ctx)
	if err != nil {
		return nil, err
	}
	if rules {
		return s.Rules()
	}
	return s.ProcFiles()
}

// Sample is the first sample that arrives after the call began (Sampler).
func (n *AgentNode) Sample(ctx context.Context) (AgentSample, error) {
	n.mu.Lock()
	var after uint64
	if n.latest != nil {
		after = n.latest.Seq
	}
	n.mu.Unlock()
	timeout := time.NewTimer(n.stale)
	defer timeout.Stop()
	for {
		n.mu.Lock()
		s, ended, arrived := n.latest, n.ended, n.arrived
		n.mu.Unlock()
		switch {
		case s != nil && s.Seq != after:
			// A new sample; a lower sequence is a restarted agent's.
			return *s, nil
		case ended != nil:
			return AgentSample{}, fmt.Errorf("datapath agent of node %s: %w", n.name, ended)
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return AgentSample{}, ctx.Err()
		case <-timeout.C:
			return AgentSample{}, fmt.Errorf("datapath agent of node %s sent no sample for %s", n.name, n.stale)
		}
	}
}

// Skipped is how many lines of the stream were not samples.
func (n *AgentNode) Skipped() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.skipped
}
