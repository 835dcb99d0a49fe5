package loadgen

import (
	"context"
	"time"

	"github.com/meshbench/meshbench/cpu"
	"github.com/meshbench/meshbench/results"
)

// cpuWindow brackets a measured window with CPU figures: the client's own
// sampler and, when asked, two snapshots the server reports of itself.
type cpuWindow struct {
	opts      *cpu.Options
	server    bool
	sampler   *cpu.Sampler
	serverAt  *cpu.Snapshot
	notes     []string
	serverErr error
}

// start opens the window; failures only leave figures out, with a note.
func (w *cpuWindow) start(ctx context.Context, target string, timeout time.Duration) {
	if w.opts != nil {
		if s, err := cpu.Start(ctx, *w.opts); err == nil {
			w.sampler = s
		} else {
			w.notes = append(w.notes, "cpu not measured: "+err.Error())
		}
	}
	if w.server {
		if snap, err := ServerCPUSnapshot(ctx, target, timeout); err == nil {
			w.serverAt = &snap
		} else {
			w.notes = append(w.notes, "server cpu not measured: "+err.Error())
		}
	}
}

// finish closes the window and returns the client's and the server's figures.
func (w *cpuWindow) finish(ctx context.Context, target string, timeout time.Duration) (client, server *results.CPU) {
	if w.serverAt != nil {
		if snap, err := ServerCPUSnapshot(ctx, target, timeout); err == nil {
			server = cpu.Between(*w.serverAt, snap)
			server.Source = "server"
		} else {
			w.notes = append(w.notes, "server cpu not measured: "+err.Error())
		}
	}
	if w.sampler != nil {
		client = w.sampler.Stop()
	}
	if client != nil {
		client.Notes = append(client.Notes, w.notes...)
	} else if server != nil {
		server.Notes = append(server.Notes, w.notes...)
	}
	return client, server
}
