package cpu

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Query is one named PromQL expression whose value is a component's CPU in
// cores. "$window" in Expr is replaced by the measurement window in seconds
// (e.g. "10s"), so a rate covers exactly the measurement.
type Query struct {
	Name string
	Expr string
}

// DefaultQueries ask cAdvisor's container CPU counter for the data-plane
// components of each mesh; components absent from a cluster give no series.
func DefaultQueries() []Query {
	return []Query{
		{"ztunnel", `sum(rate(container_cpu_usage_seconds_total{pod=~"ztunnel-.*",container!="",container!="POD"}[$window]))`},
		{"linkerd-proxy", `sum(rate(container_cpu_usage_seconds_total{container="linkerd-proxy"}[$window]))`},
		{"cilium-agent", `sum(rate(container_cpu_usage_seconds_total{container="cilium-agent"}[$window]))`},
	}
}

// ParseQuery parses NAME=PROMQL.
func ParseQuery(s string) (Query, error) {
	name, expr, ok := strings.Cut(s, "=")
	name, expr = strings.TrimSpace(name), strings.TrimSpace(expr)
	if !ok || name == "" || expr == "" {
		return Query{}, fmt.Errorf("%q: want NAME=PROMQL, e.g. ztunnel=sum(rate(container_cpu_usage_seconds_total{container=\"istio-proxy\"}[$window]))", s)
	}
	return Query{Name: name, Expr: expr}, nil
}

// Prometheus asks a Prometheus server's HTTP API for component CPU.
type Prometheus struct {
	base    *url.URL
	queries []Query
	client  *http.Client
}

// NewPrometheus checks that the server at rawURL answers the query API, so
// an unreachable Prometheus is found before a measurement starts.
func NewPrometheus(ctx context.Context, rawURL string, queries []Query) (*Prometheus, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q is not an http(s) URL", rawURL)
	}
	if len(queries) == 0 {
		queries = DefaultQueries()
	}
	p := &Prometheus{base: u, queries: queries, client: &http.Client{Timeout: 10 * time.Second}}
	if _, err := p.query(ctx, "vector(1)", time.Now()); err != nil {
		return nil, fmt.Errorf("prometheus %s: %v", rawURL, err)
	}
	return p, nil
}

// Window evaluates every query over [start, end] at end. A query that fails
// or has no series is left out, with a note saying why.
func (p *Prometheus) Window(ctx context.Context, start, end time.Time) (map[string]float64, []string) {
	secs := int64(math.Ceil(end.Sub(start).Seconds()))
	if secs < 1 {
		secs = 1
	}
	window := strconv.FormatInt(secs, 10) + "s"
	out := map[string]float64{}
	var notes []string
	for _, q := range p.queries {
		expr := strings.ReplaceAll(q.Expr, "$window", window)
		v, err := p.query(ctx, expr, end)
		if err != nil {
			notes = append(notes, fmt.Sprintf("prometheus %s: dropped: %v", q.Name, err))
			continue
		}
		if v == nil {
			notes = append(notes, fmt.Sprintf("prometheus %s: no series over the %s window", q.Name, window))
			continue
		}
		out[q.Name] = *v
	}
	sort.Strings(notes)
	return out, notes
}

// query evaluates expr at t; the value is the sum of a vector's samples, or
// a scalar; nil when the vector is empty.
func (p *Prometheus) query(ctx context.Context, expr string, t time.Time) (*float64, error) {
	u := p.base.JoinPath("api/v1/query")
	q := url.Values{"query": {expr}, "time": {strconv.FormatFloat(float64(t.UnixMilli())/1000, 'f', 3, 64)}}
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string          `json:"resultType"`
			Result     json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("not a Prometheus API answer (HTTP %d)", resp.StatusCode)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query failed: %s", r.Error)
	}
	switch r.Data.ResultType {
	case "scalar":
		var pair []any
		if err := json.Unmarshal(r.Data.Result, &pair); err != nil || len(pair) != 2 {
			return nil, fmt.Errorf("malformed scalar result")
		}
		v, err := sampleValue(pair[1])
		return &v, err
	case "vector":
		var vec []struct {
			Value []any `json:"value"`
		}
		if err := json.Unmarshal(r.Data.Result, &vec); err != nil {
			return nil, fmt.Errorf("malformed vector result")
		}
		if len(vec) == 0 {
			return nil, nil
		}
		var sum float64
		for _, s := range vec {
			if len(s.Value) != 2 {
				return nil, fmt.Errorf("malformed vector sample")
			}
			v, err := sampleValue(s.Value[1])
			if err != nil {
				return nil, err
			}
			sum += v
		}
		return &sum, nil
	}
	return nil, fmt.Errorf("result type %q, want a vector or scalar", r.Data.ResultType)
}

func sampleValue(v any) (float64, error) {
	s, ok := v.(string)
	if !ok {
		return 0, fmt.Errorf("malformed sample value")
	}
	return strconv.ParseFloat(s, 64)
}
