package cpu

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/meshbench/meshbench/results"
)

// Options say what to sample.
type Options struct {
	// Interval between samples; default one second.
	Interval time.Duration
	// ProcStat is the node-wide source, default /proc/stat.
	ProcStat string
	// Cgroup is the cgroup directory to account "this process or pod" to:
	// "" means this process's own (OwnCgroup), "-" means none.
	Cgroup string
	// Source names the figures in results ("client", "server", "node"); default "node".
	Source string
	// Prometheus, when set, adds each query's cores over the measured window.
	Prometheus *Prometheus
}

// Sampler samples CPU from Start until Stop.
type Sampler struct {
	opts   Options
	cgroup string

	cancel context.CancelFunc
	done   chan struct{}

	mu       sync.Mutex
	readings []Snapshot
	notes    []string
}

// Start takes the first reading and samples every Interval until Stop. It
// fails only when /proc/stat cannot be read or an explicitly named cgroup
// has no CPU accounting; a missing own cgroup only leaves that figure out.
func Start(ctx context.Context, opts Options) (*Sampler, error) {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.ProcStat == "" {
		opts.ProcStat = "/proc/stat"
	}
	if opts.Source == "" {
		opts.Source = "node"
	}
	s := &Sampler{opts: opts, done: make(chan struct{})}
	switch opts.Cgroup {
	case "-":
	case "":
		if dir, err := OwnCgroup(); err == nil {
			s.cgroup = dir
		} else {
			s.notes = append(s.notes, "cgroup CPU not measured: "+err.Error())
		}
	default:
		if _, err := readCgroup(opts.Cgroup); err != nil {
			return nil, err
		}
		s.cgroup = opts.Cgroup
	}
	r, err := s.read()
	if err != nil {
		return nil, err
	}
	s.readings = append(s.readings, r)
	ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	go s.loop(ctx)
	return s, nil
}

func (s *Sampler) read() (Snapshot, error) { return Take(s.opts.ProcStat, s.cgroup) }

func (s *Sampler) loop(ctx context.Context) {
	defer close(s.done)
	t := time.NewTicker(s.opts.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r, err := s.read()
			s.mu.Lock()
			if err == nil {
				s.readings = append(s.readings, r)
			}
			s.mu.Unlock()
		}
	}
}

// Stop takes the last reading and returns the figures from Start to now,
// with one sample per interval. Prometheus is asked here, over the same
// window; a Prometheus that fails now loses only its columns, with a note.
func (s *Sampler) Stop() *results.CPU {
	s.cancel()
	<-s.done
	last, err := s.read()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.readings = append(s.readings, last)
	}
	first, end := s.readings[0], s.readings[len(s.readings)-1]
	out := Between(first, end)
	out.Source = s.opts.Source
	for i := 1; i < len(s.readings); i++ {
		a, b := s.readings[i-1], s.readings[i]
		w := Between(a, b)
		out.Samples = append(out.Samples, results.CPUSample{
			Start: a.At.Sub(first.At), Duration: b.At.Sub(a.At),
			User: w.User, System: w.System, Softirq: w.Softirq, Steal: w.Steal, Idle: w.Idle, Cgroup: w.Cgroup,
		})
	}
	out.Notes = append(out.Notes, s.notes...)
	if s.opts.Prometheus != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		comps, notes := s.opts.Prometheus.Window(ctx, first.At, end.At)
		if len(comps) > 0 {
			out.Components = comps
		}
		out.Notes = append(out.Notes, notes...)
	}
	return out
}

// String is a one-line summary, e.g. for a log.
func String(c *results.CPU) string {
	if c == nil {
		return "cpu: not measured"
	}
	s := fmt.Sprintf("cpu (cores of %d): user %.2f  system %.2f  softirq %.2f  irq %.2f  steal %.2f  idle %.2f",
		c.CPUs, c.User, c.System, c.Softirq, c.IRQ, c.Steal, c.Idle)
	if c.CgroupPath != "" {
		s += fmt.Sprintf("  cgroup %.2f", c.Cgroup)
	}
	return s
}
