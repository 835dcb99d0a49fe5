package main

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/meshbench/meshbench/loadgen"
)

func init() { register(newServeCmd) }

func newServeCmd() *cobra.Command {
	var (
		port    int
		address string
		delay   time.Duration
		streams int
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve HTTP responses of exactly the requested size",
		Long: `serve answers HTTP requests with bodies of exactly the requested size:

  GET /bytes/<size>      e.g. /bytes/512, /bytes/.5k, /bytes/1M, /bytes/1Mi
  GET /?size=<size>      the same on any path
  GET /healthz           "ok"
  GET /stats             {"requests":N,"newConnections":N}: sized responses
                         served and TCP connections accepted since start

Sizes: k, M, G are 1000-based (1k = 1000 bytes); Ki, Mi, Gi are 1024-based
(1Ki = 1024 bytes). --delay adds a precise wait to every sized response; it is
how a measurement pipeline is calibrated. Stops on SIGTERM or Ctrl-C.`,
		Example: `  meshbench serve --port 8080
  meshbench serve --port 8081 --delay 100us`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if port < 0 || port > 65535 {
				return usagef("--port %d: want a TCP port 0..65535 (0 picks a free one)", port)
			}
			if delay < 0 {
				return usagef("--delay %v: want a non-negative duration, e.g. 0, 20us, 1ms", delay)
			}
			if address != "" && net.ParseIP(address) == nil {
				return usagef("--address %q: want an IP address to listen on, e.g. 0.0.0.0 or 127.0.0.1", address)
			}
			ln, err := net.Listen("tcp", net.JoinHostPort(address, strconv.Itoa(port)))
			if err != nil {
				return err
			}
			waitStreams, err := startStreamServer(cmd, address, streams, delay)
			if err != nil {
				ln.Close()
				return err
			}
			defer waitStreams()
			srv := loadgen.NewServer(loadgen.WithDelay(delay))
			fmt.Fprintf(cmd.ErrOrStderr(), "meshbench serve: listening on %s (delay %v)\n", ln.Addr(), delay)
			if err := srv.Serve(cmd.Context(), ln); err != nil {
				return err
			}
			st := srv.Stats()
			fmt.Fprintf(cmd.ErrOrStderr(), "meshbench serve: stopped after %d responses on %d connections\n", st.Requests, st.NewConnections)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVarP(&port, "port", "p", 8080, "TCP port to listen on (0 picks a free one)")
	f.StringVar(&address, "address", "0.0.0.0", "IP address to listen on")
	f.DurationVar(&delay, "delay", 0, "wait added to every sized response, e.g. 20us, 100us, 1ms")
	f.IntVar(&streams, "stream-port", 0, "also serve raw TCP streams, rr and crr (meshbench stream, rtt; --delay before every rr/crr answer) on this port, e.g. 5201; 0 = off")
	return cmd
}
