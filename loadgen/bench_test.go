package loadgen

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/meshbench/meshbench/analysis"
)

var (
	peerRequests = flag.Int("peers.requests", 2000, "requests per tool in BenchmarkPeers")
	peerRounds   = flag.Int("peers.rounds", 20, "interleaved rounds in BenchmarkPeers")
	peerOnly     = flag.String("peers.only", "", "BenchmarkPeers: comma-separated tools to run (default all)")
	peerRate     = flag.Float64("peers.rate", DefaultRate, "requests per second in BenchmarkPeers")
	sweepN       = flag.Int("delay.requests", 2000, "requests per arm in BenchmarkSmallestDelay")
	sweepProcs   = flag.Bool("delay.processes", false, "BenchmarkSmallestDelay: run each server in a process of its own (default: in the test process, where both arms share one scheduler)")
	sweepList    = flag.String("delay.sweep", "0s,5us,10us,20us,50us", "delays BenchmarkSmallestDelay injects (0 is the A/A check)")
)

// BenchmarkPeers measures meshbench's load side by side with a bare
// dial-write-read client (the floor, through Go's netpoller and with
// blocking system calls) and the load tools users know — ab,
// hey v0.1.4, fortio v1.63.0 — in one run: the same loopback server (a
// process of its own), the same rate, keep-alive off, .5k responses, the
// tools interleaved in rounds with their order rotated so drift hits all
// alike. The goal is a mean within 5% of the best peer.
func BenchmarkPeers(b *testing.B) {
	ctx := b.Context()
	peers := append([]peer{floorPeer, meshbenchPeer, meshbenchNetpollerPeer}, referencePeers...)
	if bin, err := exec.LookPath("ab"); err == nil {
		peers = append(peers, abPeer(bin))
	} else {
		b.Log("ab: not installed (Debian apache2-utils); skipped")
	}
	dir := b.TempDir()
	for _, p := range []struct{ module, name string }{
		{"github.com/rakyll/hey@v0.1.4", "hey"},
		{"fortio.org/fortio@v1.63.0", "fortio"},
	} {
		bin, err := installPeer(ctx, dir, p.module, p.name)
		if err != nil {
			b.Logf("%s: go install %s failed (%v); skipped", p.name, p.module, err)
			continue
		}
		if p.name == "hey" {
			peers = append(peers, heyPeer(bin))
		} else {
			peers = append(peers, fortioPeer(bin))
		}
	}
	if *peerOnly != "" {
		keep := strings.Split(*peerOnly, ",")
		peers = slices.DeleteFunc(peers, func(p peer) bool { return !strings.HasPrefix(p.name, "floor") && !slices.Contains(keep, p.name) })
	}
	url := startServerProcess(b, 0)
	n, rounds, rate := *peerRequests, *peerRounds, *peerRate
	per := max(n/rounds, 1)

	for b.Loop() {
		// Warm-up: every tool once, discarded.
		for _, p := range peers {
			if _, err := p.run(ctx, url, 20, rate); err != nil {
				b.Fatalf("%s: %v", p.name, err)
			}
		}
		got := make([][]peerRound, len(peers))
		for r := range rounds {
			for k := range peers {
				i := (k + r) % len(peers)
				res, err := peers[i].run(ctx, url, per, rate)
				if err != nil {
					b.Fatalf("%s: %v", peers[i].name, err)
				}
				res.summarize()
				got[i] = append(got[i], res)
			}
		}
		reportPeers(b, peers, got, per*rounds, rounds, rate)
	}
}

// reportPeers prints each tool's mean and p99 — the median over rounds of
// each round's figure, so a burst of the machine's other work that hits one
// tool's round does not decide the comparison — and their ratios to the
// best peer (lowest mean of ab, hey, fortio) and to the floor.
func reportPeers(b *testing.B, peers []peer, got [][]peerRound, n, rounds int, rate float64) {
	type row struct {
		name, note string
		mean, p99  time.Duration
	}
	rows := make([]row, len(peers))
	best := -1
	for i, p := range peers {
		var means, p99s []time.Duration
		for _, r := range got[i] {
			means, p99s = append(means, r.mean), append(p99s, r.p99)
		}
		rows[i] = row{p.name, p.note, medianOf(means), medianOf(p99s)}
		if isPeer := slices.Contains([]string{"ab", "hey", "fortio"}, p.name); isPeer && (best < 0 || rows[i].mean < rows[best].mean) {
			best = i
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n%d requests per tool in %d interleaved rounds, %.0f requests/s, .5k, keep-alive off, one loopback server process; load average %s\n", n, rounds, rate, loadAverage())
	fmt.Fprintf(&sb, "mean and p99: median over the rounds of each round's figure\n")
	tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "tool\tmean\tp99\tmean/best peer\tp99/best peer\tmean/floor\tnote")
	for _, r := range rows {
		bm, bp := "-", "-"
		if best >= 0 {
			bm = fmt.Sprintf("%.3f", float64(r.mean)/float64(rows[best].mean))
			bp = fmt.Sprintf("%.3f", float64(r.p99)/float64(rows[best].p99))
		}
		fmt.Fprintf(tw, "%s\t%v\t%v\t%s\t%s\t%.3f\t%s\n", r.name, r.mean.Round(time.Microsecond), r.p99.Round(time.Microsecond),
			bm, bp, float64(r.mean)/float64(rows[0].mean), r.note)
	}
	tw.Flush()
	if best >= 0 {
		fmt.Fprintf(&sb, "best peer: %s\n", rows[best].name)
	}
	// Printed, not logged: go test cuts a benchmark's log after ten lines.
	fmt.Print(sb.String())
	for _, r := range rows {
		b.ReportMetric(float64(r.mean.Microseconds()), r.name+"-mean-µs")
	}
	if best >= 0 {
		b.ReportMetric(float64(rows[1].mean)/float64(rows[best].mean), "meshbench/best-peer-mean")
	}
}

func medianOf(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[(len(s)-1)/2]
}

// loadAverage is the machine's 1, 5 and 15 minute load averages: figures
// measured on a busy machine say so.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// BenchmarkSmallestDelay sweeps injected delays (by default 5, 10, 20 and
// 50 µs, and 0 as the A/A check): two loopback servers, one with the delay,
// as alternating targets with 2,000 requests each; a delay is found when
// the median difference's 95% interval lies above 0. The smallest delay
// found is the smallest from which every larger one is found too. The goal
// is 20 µs.
func BenchmarkSmallestDelay(b *testing.B) {
	delays := sweepDelays()
	slices.Sort(delays)
	for b.Loop() {
		var sb strings.Builder
		fmt.Fprintf(&sb, "\n%d requests per arm, %d requests/s per arm, .5k, keep-alive off, %s; load average %s\n", *sweepN, DefaultRate, sweepWhere(), loadAverage())
		tw := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "injected\tmedian difference\t95% CI\tfound")
		found := make([]bool, len(delays))
		for i, d := range delays {
			control, target := sweepServers(b, d)
			sizes, _ := ParseSizes([]string{".5k"})
			doc, err := Load(b.Context(), Config{
				Targets: []Target{{"control", control}, {"target", target}},
				Sizes:   sizes, Requests: *sweepN, Rate: DefaultRate, Warmup: DefaultWarmup,
			})
			if err != nil {
				b.Fatal(err)
			}
			diff := analysis.CompareMedian(doc.Cells[0].Latency.SamplesNs, doc.Cells[1].Latency.SamplesNs)
			found[i] = diff.Significant && diff.CILow > 0
			label := d.String()
			if d == 0 {
				label = "0 (A/A)"
			}
			fmt.Fprintf(tw, "%s\t%v\t[%v, %v]\t%v\n", label, diff.Diff.Round(100*time.Nanosecond),
				diff.CILow.Round(100*time.Nanosecond), diff.CIHigh.Round(100*time.Nanosecond), found[i])
		}
		tw.Flush()
		smallest := time.Duration(-1)
		for i := len(delays) - 1; i >= 0 && found[i] && delays[i] > 0; i-- {
			smallest = delays[i]
		}
		if smallest < 0 {
			fmt.Fprintln(&sb, "no delay found")
		} else {
			fmt.Fprintf(&sb, "smallest delay found: %v\n", smallest)
		}
		// Printed, not logged: go test cuts a benchmark's log after ten lines.
		fmt.Print(sb.String())
		b.ReportMetric(float64(smallest.Nanoseconds())/1000, "smallest-found-µs")
	}
}

// BenchmarkRecordMillionLatencies records 1,000,000 request durations
// through the path Load uses (one cell, its per-window hit log) and encodes
// the results document, and reports the heap it holds and the process's
// peak RSS. The goal is at most 64 MiB.
func BenchmarkRecordMillionLatencies(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		runtime.GC()
		resetPeakRSS()
		start := peakRSS()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)

		sizes, _ := ParseSizes([]string{".5k"})
		r := newRun(Config{Targets: []Target{{"A", "http://127.0.0.1:1"}}, Sizes: sizes, Requests: n, Rate: 100, Rounds: 1})
		log := newHitLog(nil)
		res := &vegeta.Result{Code: 200}
		for i := range n {
			log.hits[uint64(i)] = &hit{target: 0, bytes: 500}
			res.Seq, res.Latency = uint64(i), time.Duration(700_000+i%50_000)
			r.record(0, res, log)
		}
		r.finish(r.cells[0][0])
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		held := float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
		recording := peakRSS()
		if err := r.doc.Write(io.Discard); err != nil {
			b.Fatal(err)
		}
		runtime.KeepAlive(log)
		peak := peakRSS()
		b.ReportMetric(held, "heap-MiB")
		b.ReportMetric(recording, "recording-peak-RSS-MiB")
		b.ReportMetric(peak, "peak-RSS-MiB")
		b.Logf("1,000,000 latencies: heap held %.1f MiB; peak RSS of the whole test process %.1f MiB while recording (%.1f MiB at start), %.1f MiB including the JSON encoding of the document", held, recording, start, peak)
	}
}

// resetPeakRSS resets the kernel's high-water mark of this process's RSS.
func resetPeakRSS() { os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

// peakRSS is the process's high-water RSS in MiB (VmHWM), 0 if unknown.
func peakRSS() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkServerDelay measures how precisely WithDelay adds its delay:
// the handler's duration with the delay minus without, median and p99 of
// 2,000 calls each.
func BenchmarkServerDelay(b *testing.B) {
	req, _ := http.NewRequest("GET", "/bytes/512", nil)
	measure := func(s *Server) []time.Duration {
		out := make([]time.Duration, 2000)
		w := &discardWriter{h: http.Header{}}
		for i := range out {
			t0 := time.Now()
			s.ServeHTTP(w, req)
			out[i] = time.Since(t0)
		}
		slices.Sort(out)
		return out
	}
	for _, d := range []time.Duration{20 * time.Microsecond, 50 * time.Microsecond, 100 * time.Microsecond, 2 * time.Millisecond} {
		b.Run(d.String(), func(b *testing.B) {
			for b.Loop() {
				base := measure(NewServer())
				got := measure(NewServer(WithDelay(d)))
				p50 := got[len(got)/2] - base[len(base)/2] - d
				p99 := got[len(got)*99/100] - base[len(base)/2] - d
				b.ReportMetric(float64(p50.Nanoseconds())/1000, "p50-excess-µs")
				b.ReportMetric(float64(p99.Nanoseconds())/1000, "p99-excess-µs")
			}
		})
	}
}

// BenchmarkServeSized shows that a sized response allocates nothing in
// proportion to its size: the body is written from a shared buffer.
func BenchmarkServeSized(b *testing.B) {
	s := NewServer()
	for _, size := range []string{"512", "1M"} {
		req, _ := http.NewRequest("GET", "/bytes/"+size, nil)
		b.Run(size, func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			for b.Loop() {
				s.ServeHTTP(w, req)
			}
		})
	}
}

func sweepDelays() []time.Duration {
	var out []time.Duration
	for _, s := range strings.Split(*sweepList, ",") {
		d, err := time.ParseDuration(s)
		if err != nil {
			panic(fmt.Sprintf("-delay.sweep %q: %v", s, err))
		}
		out = append(out, d)
	}
	return out
}

// sweepServers starts the control (no delay) and the target (delay d).
func sweepServers(b *testing.B, d time.Duration) (control, target string) {
	if *sweepProcs {
		return startServerProcess(b, 0), startServerProcess(b, d)
	}
	return startServer(b, NewServer()), startServer(b, NewServer(WithDelay(d)))
}

func sweepWhere() string {
	if *sweepProcs {
		return "each server a process of its own"
	}
	return "servers in the test process"
}
