// Package loopbacktest runs the tests' real servers on loopback.
package loopbacktest

import (
	"context"
	"net"
	"testing"
)

// Serve runs serve on a new listener on 127.0.0.1 until the test ends,
// when serve's context is cancelled and the test waits for it to return,
// and returns the listener's address (host:port).
func Serve(t testing.TB, serve func(ctx context.Context, ln net.Listener)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return ln.Addr().String()
}
