package loadgen

import (
	"fmt"
	"time"

	"github.com/meshbench/meshbench/results"
)

// MaxStreamParallel is the most connections one stream measurement opens,
// iperf3's limit for -P. Beyond it one machine's streams mostly wait in
// accept queues and socket buffers: they are counted as streams but move
// nothing, and a server's connection limit (DefaultStreamMaxConns) would
// refuse a sweep of several such measurements at once.
const MaxStreamParallel = 128

// Bounds of a stream measurement's time, iperf3's: every interval is kept in
// the document and CPU is sampled each second, so they bound both to 864,000.
const (
	MinStreamInterval = 100 * time.Millisecond
	MaxStreamDuration = 24 * time.Hour
)

// StreamShortfall says, in one line, when a stream measurement did not
// carry the connections it opened: the server counted fewer, or some moved
// no byte in the measured window. Such a cell's throughput is that of fewer
// streams than it says. "" when every stream carried data.
func StreamShortfall(c *results.Cell) string {
	t := c.Throughput
	if t == nil || t.Parallel == 0 {
		return ""
	}
	idle := 0
	for _, s := range t.Streams {
		if s.Bytes == 0 {
			idle++
		}
	}
	if idle == 0 && t.Connections >= int64(t.Parallel) {
		return ""
	}
	return fmt.Sprintf("%d streams to %s: the server counted %d connection(s) and %d stream(s) moved nothing; the figures are those of fewer streams (try fewer --parallel)",
		t.Parallel, t.Target, t.Connections, idle)
}
