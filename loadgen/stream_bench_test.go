package loadgen

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkStreamVsIperf3 measures loopback throughput with meshbench stream
// and with iperf3 (Debian's) in alternating runs, single stream and four
// streams, and reports the ratio of meshbench's median to iperf3's median
// over the rounds (medians, since other work on the machine hits single
// runs hard). Goal: within 10%. About two minutes.
//
//	go test ./loadgen -run '^$' -bench StreamVsIperf3 -benchtime 1x
func BenchmarkStreamVsIperf3(b *testing.B) {
	bin, err := exec.LookPath("iperf3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			b.Fatal("iperf3 is not installed (make deps installs it)")
		}
		b.Skip("iperf3 is not installed (Debian package iperf3)")
	}
	const (
		duration = 5 * time.Second
		omit     = time.Second
		rounds   = 5
	)
	// Each tool's ends are two processes, as iperf3's are (and as a client
	// and a server pod are): a server sharing the client's Go runtime
	// competes with it for the same scheduler.
	addr := startStreamServerProcess(b)
	for range b.N {
		for _, p := range []int{1, 4} {
			var mbs, ips []float64
			for r := range rounds {
				i, err := iperf3Gbps(bin, p, duration, omit)
				if err != nil {
					b.Fatal(err)
				}
				cell, err := Stream(context.Background(), StreamConfig{Target: addr, Duration: duration, Omit: omit, Parallel: p})
				if err != nil {
					b.Fatal(err)
				}
				m := cell.Throughput.Gbps()
				b.Logf("P=%d round %d: iperf3 %.2f Gbit/s, meshbench %.2f Gbit/s", p, r+1, i, m)
				mbs, ips = append(mbs, m), append(ips, i)
			}
			mb, ip := median(mbs), median(ips)
			ratio := mb / ip
			b.ReportMetric(ratio, fmt.Sprintf("ratio-P%d", p))
			b.ReportMetric(mb, fmt.Sprintf("meshbench-Gbps-P%d", p))
			b.ReportMetric(ip, fmt.Sprintf("iperf3-Gbps-P%d", p))
			b.Logf("P=%d: meshbench %.2f Gbit/s, iperf3 %.2f Gbit/s, ratio %.3f (goal 0.90..1.10)", p, mb, ip, ratio)
		}
	}
}

// streamServerProcessEnv makes the test binary a plain stream server (see TestMain).
const streamServerProcessEnv = "MESHBENCH_TEST_STREAM_SERVER_PROCESS"

// serveStreamsUntilStdinCloses prints the address it listens on and serves
// streams until its parent closes stdin (or dies).
func serveStreamsUntilStdinCloses() {
	ln, err := listenLoopback()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	NewStreamServer().Serve(ctx, ln)
}

// startStreamServerProcess runs a stream server in a child process until
// the benchmark ends and returns its address.
func startStreamServerProcess(b *testing.B) string {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), streamServerProcessEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatalf("stream server process: %v", err)
	}
	return strings.TrimSpace(line)
}

// iperf3Gbps runs `iperf3 -s -1` and `iperf3 -c` on a free loopback port
// and returns the sender's throughput over the measured (non-omitted) time.
func iperf3Gbps(bin string, parallel int, duration, omit time.Duration) (float64, error) {
	ln, err := listenLoopback()
	if err != nil {
		return 0, err
	}
	port := ln.Addr().String()[strings.LastIndex(ln.Addr().String(), ":")+1:]
	ln.Close()
	srv := exec.Command(bin, "-s", "-1", "--forceflush", "-B", "127.0.0.1", "-p", port)
	out, err := srv.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := srv.Start(); err != nil {
		return 0, err
	}
	defer func() { srv.Process.Kill(); srv.Wait() }()
	// The server says when it listens (probing its port would use up -1);
	// --forceflush makes it say so through a pipe.
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if !said && strings.Contains(sc.Text(), "Server listening") {
				said = true
				close(listening)
			}
		}
	}()
	select {
	case <-listening:
	case <-time.After(10 * time.Second):
		return 0, fmt.Errorf("iperf3 -s did not start listening")
	}
	cli := exec.Command(bin, "-c", "127.0.0.1", "-p", port, "-J",
		"-t", fmt.Sprint(int(duration.Seconds())), "-O", fmt.Sprint(int(omit.Seconds())), "-P", fmt.Sprint(parallel))
	js, err := cli.Output()
	if err != nil {
		return 0, fmt.Errorf("iperf3 -c: %v: %s", err, js)
	}
	var r struct {
		End struct {
			SumSent struct {
				BitsPerSecond float64 `json:"bits_per_second"`
			} `json:"sum_sent"`
		} `json:"end"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(js, &r); err != nil {
		return 0, fmt.Errorf("iperf3 -J output: %v", err)
	}
	if r.Error != "" {
		return 0, fmt.Errorf("iperf3: %s", r.Error)
	}
	return r.End.SumSent.BitsPerSecond / 1e9, nil
}

func listenLoopback() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
