package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// CiliumAPI is an HTTP client of a node's cilium-agent over its API socket,
// as the cilium CLI and cilium-cni reach it.
func CiliumAPI(stateDir, node string) *http.Client {
	sock := layout(stateDir).ciliumSocket(node)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, "unix", sock)
			},
		},
	}
}

// CiliumAgentState asks node's cilium-agent for its health (GET
// /v1/healthz) and returns the agent's own state ("Ok", "Warning",
// "Failure") and message.
func CiliumAgentState(ctx context.Context, stateDir, node string) (state, msg string, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://cilium-agent/v1/healthz", nil)
	if err != nil {
		return "", "", err
	}
	resp, err := CiliumAPI(stateDir, node).Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("/v1/healthz: %s %s", resp.Status, body)
	}
	var s struct {
		Cilium struct {
			State string `json:"state"`
			Msg   string `json:"msg"`
		} `json:"cilium"`
	}
	if err := json.Unmarshal(body, &s); err != nil {
		return "", "", fmt.Errorf("/v1/healthz: %w", err)
	}
	return s.Cilium.State, s.Cilium.Msg, nil
}

// ciliumHealthy is node n's cilium-agent answering on its socket with
// state Ok.
func ciliumHealthy(l layout, n Node) func(context.Context) error {
	return func(ctx context.Context) error {
		state, msg, err := CiliumAgentState(ctx, l.dir(), n.Name)
		if err != nil {
			return err
		}
		if state != "Ok" {
			return fmt.Errorf("cilium-agent state %q: %s", state, msg)
		}
		return nil
	}
}
