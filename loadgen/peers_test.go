package loadgen

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A peer is a load tool measured side by side with meshbench: n requests
// to url at rate per second, keep-alive off, one at a time. It returns
// per-request durations, or only the mean and p99 when the tool reports no
// more (fortio).
type peer struct {
	name string
	note string
	run  func(ctx context.Context, url string, n int, rate float64) (peerRound, error)
}

type peerRound struct {
	samples   []int64 // nanoseconds; nil when only mean and p99 are known
	mean, p99 time.Duration
}

func (r *peerRound) summarize() {
	if r.samples == nil {
		return
	}
	var sum int64
	for _, s := range r.samples {
		sum += s
	}
	r.mean = time.Duration(sum / int64(len(r.samples)))
	sorted := slices.Clone(r.samples)
	slices.Sort(sorted)
	r.p99 = time.Duration(sorted[(len(sorted)*99+99)/100-1]) // nearest rank
}

// referencePeers are further floors, added where they can run.
var referencePeers []peer

// meshbenchPeer is meshbench's own load (vegeta, keep-alive off).
var meshbenchPeer = peer{name: "meshbench", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
	sizes, _ := ParseSizes([]string{".5k"})
	doc, err := Load(ctx, Config{Targets: []Target{{"A", u}}, Sizes: sizes, Requests: n, Rate: rate, Timeout: DefaultTimeout})
	if err != nil {
		return peerRound{}, err
	}
	lat := doc.Cells[0].Latency
	if len(lat.Errors) > 0 {
		return peerRound{}, fmt.Errorf("errors: %v", lat.Errors)
	}
	return peerRound{samples: lat.SamplesNs}, nil
}}

// meshbenchNetpollerPeer is meshbench's load with every connection on Go's
// netpoller (no pollConn), to show what pollConn saves.
var meshbenchNetpollerPeer = peer{name: "meshbench-netpoller", note: "without pollConn", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
	useNetpoller = true
	defer func() { useNetpoller = false }()
	return meshbenchPeer.run(ctx, u, n, rate)
}}

// floorPeer is the least a client can do: dial, write one request, read to
// the end, close. Its durations are what the network and the server cost.
var floorPeer = peer{name: "floor", note: "dial-write-read in Go", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
	pu, _ := url.Parse(u)
	req := []byte("GET /?size=500 HTTP/1.1\r\nHost: " + pu.Host + "\r\nConnection: close\r\n\r\n")
	buf := make([]byte, 64<<10)
	out := make([]int64, 0, n)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := range n {
		if err := sleepUntil(ctx, start.Add(time.Duration(i+1)*interval)); err != nil {
			return peerRound{}, err
		}
		t0 := time.Now()
		c, err := net.Dial("tcp", pu.Host)
		if err != nil {
			return peerRound{}, err
		}
		if _, err := c.Write(req); err != nil {
			c.Close()
			return peerRound{}, err
		}
		got := 0
		for {
			k, err := c.Read(buf)
			got += k
			if err == io.EOF {
				break
			}
			if err != nil {
				c.Close()
				return peerRound{}, err
			}
		}
		c.Close()
		out = append(out, int64(time.Since(t0)))
		if got < 500 {
			return peerRound{}, fmt.Errorf("short response: %d bytes", got)
		}
	}
	return peerRound{samples: out}, nil
}}

func sleepUntil(ctx context.Context, t time.Time) error {
	select {
	case <-time.After(time.Until(t)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

var abTime = regexp.MustCompile(`Time per request:\s+([0-9.]+) \[ms\] \(mean\)`)

// abPeer runs Apache Bench. ab has no rate option, so each request is one
// `ab -n 1` started on the pacer's tick; ab's clock starts after its own
// start-up, at the request.
func abPeer(bin string) peer {
	return peer{name: "ab", note: "one `ab -n 1` per request (ab cannot pace)", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
		interval := time.Duration(float64(time.Second) / rate)
		out := make([]int64, 0, n)
		start := time.Now()
		for i := range n {
			if err := sleepUntil(ctx, start.Add(time.Duration(i+1)*interval)); err != nil {
				return peerRound{}, err
			}
			b, err := exec.CommandContext(ctx, bin, "-q", "-n", "1", "-c", "1", u+"/?size=500").CombinedOutput()
			if err != nil {
				return peerRound{}, fmt.Errorf("ab: %v: %s", err, lastLine(b))
			}
			if !bytes.Contains(b, []byte("Failed requests:        0")) {
				return peerRound{}, fmt.Errorf("ab: request failed: %s", b)
			}
			m := abTime.FindSubmatch(b)
			if m == nil {
				return peerRound{}, fmt.Errorf("ab: no time in %q", b)
			}
			ms, _ := strconv.ParseFloat(string(m[1]), 64)
			out = append(out, int64(ms*1e6))
		}
		return peerRound{samples: out}, nil
	}}
}

// heyPeer runs hey with one worker at the rate; its CSV has 0.1 ms resolution.
func heyPeer(bin string) peer {
	return peer{name: "hey", note: "CSV durations at 0.1 ms resolution", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
		b, err := exec.CommandContext(ctx, bin, "-n", strconv.Itoa(n), "-c", "1", "-q", strconv.FormatFloat(rate, 'f', -1, 64),
			"-disable-keepalive", "-o", "csv", u+"/?size=500").Output()
		if err != nil {
			return peerRound{}, fmt.Errorf("hey: %v", err)
		}
		rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
		if err != nil || len(rows) < 2 {
			return peerRound{}, fmt.Errorf("hey: unreadable CSV: %v", err)
		}
		out := make([]int64, 0, n)
		for _, row := range rows[1:] {
			if len(row) < 7 || row[6] != "200" {
				return peerRound{}, fmt.Errorf("hey: failed request %v", row)
			}
			s, _ := strconv.ParseFloat(row[0], 64)
			out = append(out, int64(s*1e9))
		}
		return peerRound{samples: out}, nil
	}}
}

// fortioPeer runs fortio with one connection at the rate. fortio reports
// an exact mean and histogram percentiles (10 µs resolution asked).
func fortioPeer(bin string) peer {
	return peer{name: "fortio", note: "p99 interpolated from fortio's histogram", run: func(ctx context.Context, u string, n int, rate float64) (peerRound, error) {
		f := filepath.Join(os.TempDir(), fmt.Sprintf("fortio-%d.json", time.Now().UnixNano()))
		defer os.Remove(f)
		cmd := exec.CommandContext(ctx, bin, "load", "-quiet", "-qps", strconv.FormatFloat(rate, 'f', -1, 64), "-c", "1",
			"-n", strconv.Itoa(n), "-keepalive=false", "-r", "0.00001", "-json", f, u+"/?size=500")
		if b, err := cmd.CombinedOutput(); err != nil {
			return peerRound{}, fmt.Errorf("fortio: %v: %s", err, lastLine(b))
		}
		raw, err := os.ReadFile(f)
		if err != nil {
			return peerRound{}, err
		}
		var res struct {
			RetCodes          map[string]int
			DurationHistogram struct {
				Count       int
				Avg         float64
				Percentiles []struct{ Percentile, Value float64 }
			}
		}
		if err := json.Unmarshal(raw, &res); err != nil {
			return peerRound{}, fmt.Errorf("fortio: %v", err)
		}
		if res.RetCodes["200"] != n {
			return peerRound{}, fmt.Errorf("fortio: return codes %v for %d requests", res.RetCodes, n)
		}
		r := peerRound{mean: time.Duration(res.DurationHistogram.Avg * 1e9)}
		for _, p := range res.DurationHistogram.Percentiles {
			if p.Percentile == 99 {
				r.p99 = time.Duration(p.Value * 1e9)
			}
		}
		return r, nil
	}}
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}

// installPeer builds a Go load tool at an exact version into dir.
func installPeer(ctx context.Context, dir, module, name string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "install", module)
	cmd.Env = append(os.Environ(), "GOBIN="+dir, "GOFLAGS=")
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", errors.New(lastLine(b))
	}
	return filepath.Join(dir, name), nil
}
