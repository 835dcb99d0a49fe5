package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os/exec"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// probeReadiness keeps a container's ready flag for one run. Without a
// readinessProbe a running container is ready. With one, the container is
// ready after successThreshold passes in a row and unready after
// failureThreshold failures in a row. Until the first pass it probes every
// 50 ms rather than every periodSeconds, so a pod is Ready as soon as its
// server answers (kubelet waits a full period; the lab does not need to).
func (a *Agent) probeReadiness(ctx context.Context, st *podState, cs *containerState, proc *Process, c *corev1.Container, podIP netip.Addr) {
	setReady := func(ready bool) {
		st.mu.Lock()
		changed := cs.proc == proc && cs.ready != ready
		if changed {
			cs.ready = ready
		}
		st.mu.Unlock()
		if changed {
			a.queue.Add(st.key)
		}
	}
	p := c.ReadinessProbe
	if p == nil {
		setReady(true)
		return
	}
	period := time.Duration(max(p.PeriodSeconds, 1)) * time.Second
	timeout := time.Duration(max(p.TimeoutSeconds, 1)) * time.Second
	successes, failures := max(p.SuccessThreshold, 1), max(p.FailureThreshold, 1)
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Duration(p.InitialDelaySeconds) * time.Second):
	}
	ready, passed, failed := false, int32(0), int32(0)
	for {
		err := a.probe(ctx, p, c, podIP, st, timeout)
		if err == nil {
			passed, failed = passed+1, 0
			if !ready && passed >= successes {
				ready = true
				setReady(true)
			}
		} else {
			passed, failed = 0, failed+1
			if ready && failed >= failures {
				ready = false
				setReady(false)
			}
		}
		wait := period
		if !ready {
			wait = min(period, 50*time.Millisecond)
		}
		select {
		case <-ctx.Done():
			return
		case <-proc.Done():
			return
		case <-time.After(wait):
		}
	}
}

// probe runs one readiness check: httpGet (2xx/3xx passes), tcpSocket (a
// connection passes) or exec (exit 0 passes; meshbench commands only).
func (a *Agent) probe(ctx context.Context, p *corev1.Probe, c *corev1.Container, podIP netip.Addr, st *podState, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	switch {
	case p.HTTPGet != nil:
		g := p.HTTPGet
		port, err := resolvePort(g.Port, c)
		if err != nil {
			return err
		}
		host := g.Host
		if host == "" {
			host = podIP.String()
		}
		scheme := "http"
		if g.Scheme == corev1.URISchemeHTTPS {
			scheme = "https"
		}
		path := g.Path
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+net.JoinHostPort(host, strconv.Itoa(port))+path, nil)
		if err != nil {
			return err
		}
		req.Header.Set("User-Agent", "kube-probe/meshbench-lab")
		for _, h := range g.HTTPHeaders {
			req.Header.Add(h.Name, h.Value)
		}
		resp, err := probeClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode >= 400 {
			return fmt.Errorf("HTTP %d", resp.StatusCode)
		}
		return nil
	case p.TCPSocket != nil:
		port, err := resolvePort(p.TCPSocket.Port, c)
		if err != nil {
			return err
		}
		host := p.TCPSocket.Host
		if host == "" {
			host = podIP.String()
		}
		var d net.Dialer
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return err
		}
		return conn.Close()
	case p.Exec != nil:
		argv, err := commandLine(a.binary, &corev1.Container{Image: c.Image, Command: p.Exec.Command}, nil)
		if err != nil {
			return err
		}
		st.mu.Lock()
		netns, host := st.net.Netns, st.net.Host
		st.mu.Unlock()
		if host {
			return exec.CommandContext(ctx, argv[0], argv[1:]...).Run()
		}
		return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", netns}, argv...)...).Run()
	}
	return fmt.Errorf("probe kind not supported by the lab (httpGet, tcpSocket and exec are)")
}

// probeClient opens one connection per probe, follows no redirect (a 3xx
// passes, as for kubelet) and accepts any certificate for https.
var probeClient = &http.Client{
	Transport: &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // kubelet does not verify probe certificates either
	},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// resolvePort turns a probe's port (a number or a container port's name)
// into a number.
func resolvePort(p intstr.IntOrString, c *corev1.Container) (int, error) {
	if p.Type == intstr.Int {
		return p.IntValue(), nil
	}
	for _, cp := range c.Ports {
		if cp.Name == p.StrVal {
			return int(cp.ContainerPort), nil
		}
	}
	if n, err := strconv.Atoi(p.StrVal); err == nil {
		return n, nil
	}
	return 0, fmt.Errorf("port %q: no container port of that name", p.StrVal)
}
