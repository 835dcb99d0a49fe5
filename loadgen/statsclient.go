package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// statsReader reads meshbench servers' /stats. It never reuses a
// connection, so each read adds exactly one connection to the count it
// reads next, which Load subtracts.
type statsReader struct{ client *http.Client }

func newStatsReader() *statsReader {
	return &statsReader{client: &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		Timeout:   5 * time.Second,
	}}
}

// statsURL is the /stats of the server a target URL points at.
func statsURL(target string) (string, error) {
	u, err := url.Parse(target)
	if err != nil {
		return "", err
	}
	return (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/stats"}).String(), nil
}

// read returns the server's counters; an error means the server has no
// usable /stats (it is not a meshbench server, or it is gone).
func (r *statsReader) read(ctx context.Context, statsURL string) (Stats, error) {
	var st Stats
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, statsURL, nil)
	if err != nil {
		return st, err
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return st, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return st, fmt.Errorf("GET %s: %s", statsURL, resp.Status)
	}
	var raw struct {
		Requests       *int64 `json:"requests"`
		NewConnections *int64 `json:"newConnections"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&raw); err != nil || raw.NewConnections == nil || raw.Requests == nil {
		return st, fmt.Errorf("GET %s: not a meshbench /stats answer", statsURL)
	}
	return Stats{Requests: *raw.Requests, NewConnections: *raw.NewConnections}, nil
}
