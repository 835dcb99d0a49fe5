package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/meshbench/meshbench/results"
)

// A cell is marked Behind (and not reported) when its achieved rate falls
// more than behindTolerance short of the asked rate and its requests ended
// more than behindSlack later than the pacer's schedule. The slack keeps
// tiny cells from being flagged for the pacer's wake-up jitter alone (Go
// timers wake up to ~1 ms late here), which at 2,000 requests is nothing.
const (
	behindTolerance = 0.05
	behindSlack     = 25 * time.Millisecond
)

// Load runs cfg and returns its results: one cell per (target, size) with
// every successful request's duration, errors by kind, the new connections
// the server saw and the rate achieved. Requests that fail are counted, not
// fatal; Load fails only on a bad Config or when ctx is cancelled.
func Load(ctx context.Context, cfg Config) (*results.Document, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := newRun(cfg)
	if err := r.run(ctx); err != nil {
		return nil, err
	}
	return r.doc, nil
}

// run is the state of one Load.
type run struct {
	cfg       Config
	doc       *results.Document
	cells     [][]*cellAcc // [size][target]
	transport http.RoundTripper
	stats     *statsReader
	servers   []*server // distinct /stats endpoints
}

// cellAcc accumulates one (target, size) cell over its windows.
type cellAcc struct {
	cell      *results.Cell
	intervals float64 // request intervals observed (for the achieved rate)
	span      time.Duration
}

// server is one /stats endpoint and the targets behind it.
type server struct {
	url     string
	targets []int
	ok      bool // answers /stats and serves exactly one target
	before  Stats
}

func newRun(cfg Config) *run {
	r := &run{cfg: cfg, doc: results.New(), transport: newTransport(cfg.KeepAlive, cfg.Timeout), stats: newStatsReader()}
	r.doc.Load = results.Load{
		Rate: cfg.Rate, Requests: cfg.Requests, Warmup: cfg.Warmup, Rounds: cfg.Rounds,
		KeepAlive: cfg.KeepAlive, Timeout: cfg.Timeout,
	}
	for _, t := range cfg.Targets {
		r.doc.Load.Targets = append(r.doc.Load.Targets, t.Name+"="+t.URL)
	}
	for _, s := range cfg.Sizes {
		r.doc.Load.Sizes = append(r.doc.Load.Sizes, s.Label)
		row := make([]*cellAcc, len(cfg.Targets))
		for ti, t := range cfg.Targets {
			row[ti] = &cellAcc{cell: &results.Cell{
				Arm: t.Name, URL: t.URL, Size: s.Bytes, SizeLabel: s.Label,
				Latency: &results.Latency{
					SamplesNs: make([]int64, 0, cfg.Requests),
					Errors:    map[string]int{},
					Rate:      cfg.Rate,
				},
			}}
		}
		r.cells = append(r.cells, row)
	}
	byURL := map[string]*server{}
	for ti, t := range cfg.Targets {
		u, _ := statsURL(t.URL)
		s := byURL[u]
		if s == nil {
			s = &server{url: u}
			byURL[u] = s
			r.servers = append(r.servers, s)
		}
		s.targets = append(s.targets, ti)
	}
	return r
}

func (r *run) run(ctx context.Context) error {
	defer closeIdle(r.transport)
	r.probeStats(ctx)
	plan := schedule(len(r.cfg.Sizes), r.cfg.Requests, r.cfg.Rounds)
	total := int64(r.cfg.Warmup * len(r.cfg.Targets))
	for _, w := range plan {
		total += int64(w.perTarget * len(r.cfg.Targets))
	}
	pr := newProgress(ctx, r.cfg.Progress, r.cfg.Log, total)
	defer pr.close()

	if r.cfg.Warmup > 0 {
		pr.window("warm-up")
		if _, err := r.window(ctx, window{size: plan[0].size, perTarget: r.cfg.Warmup}, pr, false); err != nil {
			return err
		}
		pr.logf("warm-up: %d requests per target discarded", r.cfg.Warmup)
	}
	for _, w := range plan {
		label := fmt.Sprintf("round %d/%d size %s", w.round, r.cfg.Rounds, r.cfg.Sizes[w.size].Label)
		pr.window(label)
		r.statsBefore(ctx)
		wr, err := r.window(ctx, w, pr, true)
		if err != nil {
			return err
		}
		r.statsAfter(ctx, w.size)
		pr.logf("%s: %s", label, r.windowSummary(w, wr))
	}
	for _, row := range r.cells {
		for _, c := range row {
			r.finish(c)
		}
	}
	return nil
}

// probeStats finds which targets' servers answer /stats; cells of the
// others report NewConnections -1. A server shared by several targets
// cannot tell their connections apart, so its cells report -1 as well.
func (r *run) probeStats(ctx context.Context) {
	for _, s := range r.servers {
		_, err := r.stats.read(ctx, s.url)
		s.ok = err == nil && len(s.targets) == 1
		if err == nil && len(s.targets) > 1 {
			r.doc.Notes = append(r.doc.Notes, fmt.Sprintf("targets %s share the server %s: new connections cannot be told apart and are not reported", r.targetNames(s.targets), s.url))
		}
		if !s.ok {
			for _, row := range r.cells {
				for _, ti := range s.targets {
					row[ti].cell.Latency.NewConnections = -1
				}
			}
		}
	}
}

func (r *run) targetNames(idx []int) string {
	out := ""
	for i, ti := range idx {
		if i > 0 {
			out += ", "
		}
		out += r.cfg.Targets[ti].Name
	}
	return out
}

// statsBefore reads every counting server's /stats before a window.
func (r *run) statsBefore(ctx context.Context) {
	for _, s := range r.servers {
		if st, ok := r.readServer(ctx, s); ok {
			s.before = st
		}
	}
}

// statsAfter reads them again after the window at size and adds the new
// connections to the window's cells. Each read opens one connection of its
// own: the before-read's is in both counts, the after-read's is subtracted.
func (r *run) statsAfter(ctx context.Context, size int) {
	for _, s := range r.servers {
		if st, ok := r.readServer(ctx, s); ok {
			r.cells[size][s.targets[0]].cell.Latency.NewConnections += st.NewConnections - s.before.NewConnections - 1
		}
	}
}

// readServer reads one server's /stats; a server that stops answering has
// its cells' new connections marked unknown (-1) from then on.
func (r *run) readServer(ctx context.Context, s *server) (Stats, bool) {
	if !s.ok {
		return Stats{}, false
	}
	st, err := r.stats.read(ctx, s.url)
	if err != nil {
		s.ok = false
		if ctx.Err() == nil {
			r.doc.Notes = append(r.doc.Notes, fmt.Sprintf("%s stopped answering (%v): new connections of %s are not reported", s.url, err, r.targetNames(s.targets)))
		}
		for _, row := range r.cells {
			for _, ti := range s.targets {
				row[ti].cell.Latency.NewConnections = -1
			}
		}
		return Stats{}, false
	}
	return st, true
}

// window runs one attack: perTarget requests to every target at one size,
// alternating target by target, at Rate per target, stopping after the
// count. Each Result is read and dropped at once (a kept Result holds its
// body and headers). With record false (warm-up) nothing is kept.
func (r *run) window(ctx context.Context, w window, pr *progress, record bool) (windowResult, error) {
	nt := len(r.cfg.Targets)
	hits := w.perTarget * nt
	size := r.cfg.Sizes[w.size]
	urls := make([]string, nt)
	hdrs := make([]http.Header, nt)
	for ti, t := range r.cfg.Targets {
		urls[ti] = targetURL(sizedURL(t.URL, size.Bytes), ti)
		hdrs[ti] = http.Header{targetHeader: {strconv.Itoa(ti)}}
	}
	var next atomic.Uint64
	order := targetOrder{targets: nt, seed: uint64(w.round)<<32 | uint64(w.size)}
	targeter := func(tgt *vegeta.Target) error {
		ti := order.target(next.Add(1) - 1)
		tgt.Method, tgt.URL, tgt.Header = http.MethodGet, urls[ti], hdrs[ti]
		return nil
	}
	log := newHitLog(r.transport)
	atk := newAttacker(log, 0) // the transport enforces the timeout
	pacer := countPacer{
		ConstantPacer: vegeta.ConstantPacer{Freq: 1, Per: time.Duration(float64(time.Second) / (r.cfg.Rate * float64(nt)))},
		hits:          uint64(hits),
	}
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()

	var first, last time.Time
	wr := windowResult{errors: make([]int, nt)}
	for res := range atk.Attack(vegeta.Targeter(targeter), pacer, 0, "") {
		pr.hit()
		if !record {
			continue
		}
		if ti, failed := r.record(w.size, res, log); failed {
			wr.errors[ti]++
		}
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
	}
	if err := ctx.Err(); err != nil {
		return wr, err
	}
	wr.span = last.Sub(first)
	if record && hits > 1 {
		span := wr.span
		for ti := range nt {
			c := r.cells[w.size][ti]
			c.span += span
			c.intervals += float64(hits-1) / float64(nt)
		}
	}
	return wr, nil
}

// record files one Result under its target's cell at size and reports
// whether the request failed. Only the duration (or the error's kind) is
// kept; the Result itself is dropped by the caller.
func (r *run) record(size int, res *vegeta.Result, log *hitLog) (target int, failed bool) {
	// A request that never reached the transport is not in the log: its
	// Result still carries the URL the targeter gave it, and so its target.
	ti := urlTarget(res.URL)
	var body int64
	if h, ok := log.take(res.Seq); ok {
		ti, body = h.target, h.bytes
	}
	if ti < 0 || ti >= len(r.cfg.Targets) {
		ti = 0 // no URL (the targeter failed): the window stops anyway
	}
	lat := r.cells[size][ti].cell.Latency
	lat.Requests++
	if kind := errorKind(res.Code, res.Error, body, r.cfg.Sizes[size].Bytes); kind != "" {
		lat.Errors[kind]++
		return ti, true
	}
	lat.SamplesNs = append(lat.SamplesNs, res.Latency.Nanoseconds())
	return ti, false
}

// windowResult is what the log line of a window reports.
type windowResult struct {
	span   time.Duration
	errors []int // per target
}

// targetURL marks a request's URL with its target's index in the fragment,
// which never leaves the client (a request line carries no fragment), so a
// Result names its own target even when two targets share one URL.
func targetURL(u string, target int) string { return u + "#" + strconv.Itoa(target) }

// urlTarget is the target index targetURL put in u, or -1.
func urlTarget(u string) int {
	i := strings.LastIndexByte(u, '#')
	if i < 0 {
		return -1
	}
	t, err := strconv.Atoi(u[i+1:])
	if err != nil {
		return -1
	}
	return t
}

// sizedURL adds size=<bytes> to the target's query.
func sizedURL(target string, size int64) string {
	u, _ := url.Parse(target)
	q := u.Query()
	q.Set("size", strconv.FormatInt(size, 10))
	u.RawQuery = q.Encode()
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}

// windowSummary is the log line of a finished window.
func (r *run) windowSummary(w window, wr windowResult) string {
	out := fmt.Sprintf("%d requests per target in %v; errors:", w.perTarget, wr.span.Round(time.Millisecond))
	for ti, t := range r.cfg.Targets {
		out += fmt.Sprintf(" %s %d", t.Name, wr.errors[ti])
	}
	return out
}

// finish computes a cell's achieved rate, marks it Behind when the rate fell
// short, and adds it to the document.
func (r *run) finish(c *cellAcc) {
	lat := c.cell.Latency
	lat.Duration = c.span
	lat.AchievedRate = lat.Rate
	if c.span > 0 {
		lat.AchievedRate = c.intervals / c.span.Seconds()
	}
	scheduled := time.Duration(c.intervals / lat.Rate * float64(time.Second))
	if lat.AchievedRate < lat.Rate*(1-behindTolerance) && c.span-scheduled > behindSlack {
		lat.Behind = true
		r.doc.Notes = append(r.doc.Notes, fmt.Sprintf("%s at %s: achieved %.1f requests/s of %.1f asked; the cell is not reported", c.cell.Arm, c.cell.SizeLabel, lat.AchievedRate, lat.Rate))
	}
	if len(lat.Errors) == 0 {
		lat.Errors = nil
	}
	r.doc.Cells = append(r.doc.Cells, *c.cell)
}

func closeIdle(rt http.RoundTripper) {
	if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}
