package node

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"
)

// serveKubeletAPI serves, over HTTPS on NodeIP:KubeletPort, the part of the
// kubelet API the apiserver calls for `kubectl logs`:
//
//	GET /containerLogs/{namespace}/{pod}/{container}?follow=&tailLines=&limitBytes=&previous=
//
// and /healthz. The certificate is self-signed and made at start: the
// apiserver does not verify a kubelet's certificate unless it is given
// --kubelet-certificate-authority. The listener is bound to the node IP only.
func (a *Agent) serveKubeletAPI(ctx context.Context) (*http.Server, error) {
	cert, err := selfSignedCert(a.cfg.NodeName, a.cfg.NodeIP)
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort(a.cfg.NodeIP, strconv.Itoa(a.cfg.KubeletPort))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("kubelet API on %s: %w (is the node IP on a local interface, and the port free?)", addr, err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containerLogs/{namespace}/{pod}/{container}", a.serveContainerLogs)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          nil,
	}
	tln := tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	go func() {
		if err := srv.Serve(tln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("kubelet API stopped", "err", err)
		}
	}()
	return srv, nil
}

// serveContainerLogs writes a container's log file: all of it, or its last
// tailLines lines, at most limitBytes bytes; with follow=true it keeps
// writing what the running container adds until the container stops or the
// client goes away. previous=true reads the run before the current one.
func (a *Agent) serveContainerLogs(w http.ResponseWriter, r *http.Request) {
	ns, podName, container := r.PathValue("namespace"), r.PathValue("pod"), r.PathValue("container")
	q := r.URL.Query()
	follow, _ := strconv.ParseBool(q.Get("follow"))
	previous, _ := strconv.ParseBool(q.Get("previous"))
	tail, limit := int64(-1), int64(-1)
	for name, dst := range map[string]*int64{"tailLines": &tail, "limitBytes": &limit} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				http.Error(w, fmt.Sprintf("%s=%q: want a non-negative integer", name, v), http.StatusBadRequest)
				return
			}
			*dst = n
		}
	}
	pod, err := a.lister.Pods(ns).Get(podName)
	if err != nil {
		http.Error(w, fmt.Sprintf("pod %s/%s not found on node %s", ns, podName, a.cfg.NodeName), http.StatusNotFound)
		return
	}
	st := a.podStateFor(ns + "/" + podName)
	var cs *containerState
	var proc *Process
	if st != nil && st.uid == pod.UID {
		st.mu.Lock()
		cs = st.container(container)
		if cs != nil && !previous {
			proc = cs.proc
		}
		st.mu.Unlock()
	}
	if specOf(pod, container).Image == "" && cs == nil {
		http.Error(w, fmt.Sprintf("container %q is not in pod %s/%s", container, ns, podName), http.StatusNotFound)
		return
	}
	f, err := os.Open(a.store.LogPath(string(pod.UID), container, previous))
	if err != nil {
		msg := fmt.Sprintf("container %q in pod %q is waiting to start", container, podName)
		if previous {
			msg = fmt.Sprintf("previous terminated container %q in pod %q not found", container, podName)
		}
		http.Error(w, msg, http.StatusBadRequest)
		return
	}
	defer f.Close()
	if tail >= 0 {
		if err := seekTail(f, tail); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
	}
	w.Header().Set("Content-Type", "text/plain")
	out := io.Writer(w)
	if limit >= 0 {
		out = &limitWriter{w: w, left: limit}
	}
	flush := func() {
		if fl, ok := w.(http.Flusher); ok {
			fl.Flush()
		}
	}
	for {
		if _, err := io.Copy(out, f); err != nil {
			return // the client went away or the limit was reached
		}
		if !follow || proc == nil {
			return
		}
		flush()
		if proc.Exited() {
			_, _ = io.Copy(out, f) // what it wrote last
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-proc.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// seekTail positions f at the start of its last n lines.
func seekTail(f *os.File, n int64) error {
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	size := fi.Size()
	if n == 0 {
		_, err := f.Seek(size, io.SeekStart)
		return err
	}
	const chunk = 64 << 10
	buf := make([]byte, chunk)
	pos, lines := size, int64(0)
	// A final line without its newline still counts as a line.
	for pos > 0 {
		start := max(pos-chunk, 0)
		b := buf[:pos-start]
		if _, err := f.ReadAt(b, start); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		for i := len(b) - 1; i >= 0; i-- {
			if b[i] != '\n' || start+int64(i) == size-1 {
				continue
			}
			lines++
			if lines == n {
				_, err := f.Seek(start+int64(i)+1, io.SeekStart)
				return err
			}
		}
		pos = start
	}
	_, err = f.Seek(0, io.SeekStart)
	return err
}

// limitWriter writes at most left bytes, then fails.
type limitWriter struct {
	w    io.Writer
	left int64
}

var errLimit = errors.New("limitBytes reached")

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, errLimit
	}
	cut := false
	if int64(len(p)) > l.left {
		p, cut = p[:l.left], true
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	if err == nil && cut {
		err = errLimit
	}
	return n, err
}

// selfSignedCert makes the kubelet API's serving certificate for the node.
func selfSignedCert(nodeName, nodeIP string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: nodeName + "@meshbench-lab"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{nodeName},
	}
	if ip, err := netip.ParseAddr(nodeIP); err == nil {
		tmpl.IPAddresses = []net.IP{ip.AsSlice()}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
