// Package loadgen is meshbench's measuring core on the wire: an HTTP server
// whose responses have exactly the size asked for, and a load generator built
// on vegeta that opens one new TCP connection per request (keep-alive off, as
// in the Romana study), alternates requests between several targets in one
// window, and records every request's duration exactly.
//
// # Sizes
//
// Sizes are written as a decimal number with an optional unit. The units
// k, M and G are decimal (SI): 1k = 1000 bytes, 1M = 1,000,000 bytes. The
// units Ki, Mi and Gi are binary (IEC): 1Ki = 1024 bytes, 1Mi = 1,048,576
// bytes. A trailing B is allowed (1kB, 1KiB, 512B) and units are
// case-insensitive (1K = 1k = 1000, 1m = 1M). A fraction is allowed when the
// result is a whole number of bytes: .5k = 0.5k = 500, .5Ki = 512.
//
// # Server
//
// NewServer answers /bytes/<size> and any other path with ?size=<size> with a
// body of exactly that many bytes, /healthz with "ok", and /stats with the
// number of sized responses served and of TCP connections accepted. Its
// Serve method counts connections with http.Server.ConnState, which is how a
// load run verifies that keep-alive really was off.
//
// # Load
//
// Load drives the targets at a fixed rate per target and stops after a fixed
// number of requests (not after a duration). Requests to the targets
// alternate one by one, so every target shares the same drift of the machine;
// sizes are interleaved in rounds for the same reason.
//
// vegeta (github.com/tsenart/vegeta/v12) paces the requests, schedules its
// workers and times each hit, from before the dial to the last body byte.
// The transport under it is meshbench's own (passed with vegeta.Client, the
// last option): with keep-alive off it dials, writes and reads each request
// on the worker's goroutine, waiting in poll(2) on the worker's thread rather
// than on Go's netpoller (see oneShotTransport and pollConn), and it counts
// body bytes while draining them, so no body is kept or copied. Host names
// are resolved once, so no DNS query falls inside a measured request. Each vegeta Result is
// read for its duration, status and error and dropped at once; a cell keeps
// only its samples, 8 bytes per request.
//
// # Streams and round trips
//
// NewStreamServer (`meshbench serve --stream-port`) serves raw TCP: a
// client's 24-byte header picks sink, source, rr, crr, a query of what the
// server counted for one session, or the server's own CPU counters.
// Stream(ctx, StreamConfig) measures throughput like iperf3 (intervals,
// omitted start, parallel connections, TCP_INFO) and RoundTrips(ctx,
// RTTConfig) netperf's TCP_RR and TCP_CRR; both return a results.Cell with
// the client's CPU (cpu.Options) and, with ServerCPU, the server's over the
// same window.
package loadgen
