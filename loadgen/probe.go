package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ProbeResult is one connection attempt of a prober, written as one JSON
// line: the enforcement check of `meshbench run` reads these from the
// prober pod's logs.
type ProbeResult struct {
	Time  time.Time `json:"time"`
	URL   string    `json:"url"`
	OK    bool      `json:"ok"`
	Error string    `json:"error,omitempty"`
}

// Probe makes one GET to url on a new TCP connection and reports whether it
// got a 2xx answer within timeout. A policy that denies the prober shows as a
// timeout (dropped SYN) or a refused/reset connection (rejected SYN).
func Probe(ctx context.Context, url string, timeout time.Duration) ProbeResult {
	r := ProbeResult{Time: time.Now().UTC(), URL: url}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		r.Error = err.Error()
		return r
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode/100 != 2 {
		r.Error = fmt.Sprintf("status %d", resp.StatusCode)
		return r
	}
	r.OK = true
	return r
}
