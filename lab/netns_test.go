package lab_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/meshbench/meshbench/lab/labtest"
)

// getFromNetns makes one HTTP GET from inside a pod's network namespace,
// on a new connection, and returns the status code.
func getFromNetns(ctx context.Context, netns, url string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return labtest.DialInNetns(ctx, netns, addr)
		},
	}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}
