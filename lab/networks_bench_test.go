package lab_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/meshbench/meshbench/lab"
	"github.com/meshbench/meshbench/lab/labtest"
)

// BenchmarkNetworks brings the lab up on each network in turn (routed,
// vxlan, wireguard; two nodes) and measures, from a client pod on node 2 to
// a server pod on node 1: throughput of one TCP stream (1 GiB responses on a
// kept-alive connection) and crr, HTTP requests per second each on a new
// connection. It prints every network's figures and their ratio to routed's,
// measured in the same run.
func BenchmarkNetworks(b *testing.B) {
	labtest.Requirements(b)
	labtest.Lock(b)
	type figures struct{ gbits, crr float64 }
	got := map[lab.Network]figures{}
	for _, network := range lab.Networks {
		b.Run(string(network), func(b *testing.B) {
			opts := labtest.Options(b, b.TempDir())
			opts.Network = network
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
			defer cancel()
			l, err := lab.Start(ctx, opts)
			var pe *lab.PreflightError
			if errors.As(err, &pe) {
				labtest.Unavailable(b, "%v", err)
			}
			if err != nil {
				b.Fatal(err)
			}
			defer func() { _ = lab.Down(context.Background(), opts) }()
			cs := labtest.Client(b, l)
			ns := testNamespace(ctx, b, cs)
			nodes := l.Nodes()
			server, client, _ := startRolePods(ctx, b, cs, ns, nodes[0].Name, nodes[1].Name)
			base := fmt.Sprintf("http://%s:8080", server.Status.PodIP)
			waitFor(ctx, b, "the client to reach the server", func() bool {
				code, err := getFromNetns(ctx, netnsOf(client), base+"/healthz", time.Second)
				return err == nil && code == 200
			})
			var f figures
			for b.Loop() {
				f.gbits = streamGbits(ctx, b, netnsOf(client), base+"/bytes/1Gi", 3*time.Second)
				f.crr = connectsPerSecond(ctx, b, netnsOf(client), base+"/healthz", 3*time.Second)
			}
			b.ReportMetric(f.gbits, "Gbit/s")
			b.ReportMetric(f.crr, "crr/s")
			got[network] = f
		})
	}
	routed, ok := got[lab.Routed]
	if !ok || routed.gbits == 0 || routed.crr == 0 {
		return
	}
	var lines []string
	for _, n := range lab.Networks {
		f, ok := got[n]
		if !ok {
			continue
		}
		lines = append(lines, fmt.Sprintf("%-9s throughput %6.2f Gbit/s (%.2f× routed)  crr %7.0f/s (%.2f× routed)", n, f.gbits, f.gbits/routed.gbits, f.crr, f.crr/routed.crr))
	}
	fmt.Printf("networks, one stream and crr across nodes:\n  %s\n", strings.Join(lines, "\n  "))
}

// transportIn is an HTTP transport whose connections are made inside netns.
func transportIn(netns string, keepAlive bool) *http.Transport {
	return &http.Transport{
		DisableKeepAlives: !keepAlive,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return labtest.DialInNetns(ctx, netns, addr)
		},
	}
}

// streamGbits reads url's body over one kept-alive connection, again and
// again, for d, and returns the rate in Gbit/s.
func streamGbits(ctx context.Context, b *testing.B, netns, url string, d time.Duration) float64 {
	b.Helper()
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	c := &http.Client{Transport: transportIn(netns, true)}
	var n int64
	began := time.Now()
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			break
		}
		m, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n += m
	}
	if n == 0 {
		b.Fatalf("no bytes from %s", url)
	}
	return float64(n) * 8 / time.Since(began).Seconds() / 1e9
}

// connectsPerSecond makes GETs of url, each on a new connection, one after
// another for d, and returns how many completed per second.
func connectsPerSecond(ctx context.Context, b *testing.B, netns, url string, d time.Duration) float64 {
	b.Helper()
	c := &http.Client{Transport: transportIn(netns, false), Timeout: 2 * time.Second}
	n := 0
	began := time.Now()
	for time.Since(began) < d {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := c.Do(req)
		if err != nil {
			b.Fatalf("GET %s: %v", url, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		n++
	}
	return float64(n) / time.Since(began).Seconds()
}
