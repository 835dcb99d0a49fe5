package cpu

import (
	"context"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// freePort returns a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startPrometheus runs a real Prometheus (Debian's package) on loopback,
// scraping itself every second, and returns its URL and its process once
// it has scraped itself (its scrape manager starts targets seconds after
// it reports ready).
func startPrometheus(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	if err != nil {
		needRoot(t, "prometheus is not installed (Debian package prometheus; make deps installs it)")
	}
	dir := t.TempDir()
	port := freePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n- job_name: self\n  static_configs: [{targets: ['%s']}]\n", addr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr, "--log.level=warn")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	url := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := &Prometheus{base: mustParse(url), client: http.DefaultClient}
		v, err := p.query(context.Background(), `count_over_time(up{job="self"}[1m])`, time.Now())
		if err == nil && v != nil && *v >= 2 {
			return url, cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus did not become ready: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func mustParse(s string) *neturl.URL {
	u, err := neturl.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

var selfQueries = []Query{
	{"prometheus", `sum(rate(process_cpu_seconds_total{job="self"}[$window]))`},
	{"absent", `sum(rate(no_such_metric_total[$window]))`},
}

func TestPrometheusComponentsOverTheWindow(t *testing.T) {
	url, _ := startPrometheus(t)
	p, err := NewPrometheus(context.Background(), url, selfQueries)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{Cgroup: "-", Prometheus: p})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * time.Second)
	c := s.Stop()
	v, ok := c.Components["prometheus"]
	if !ok || v <= 0 || v > float64(c.CPUs) {
		t.Errorf("prometheus's own CPU over the window: %v (present %v), want between 0 and %d cores; notes %q", v, ok, c.CPUs, c.Notes)
	}
	if _, ok := c.Components["absent"]; ok || !hasNote(c.Notes, "absent: no series") {
		t.Errorf("a query without series: components %v, notes %q; want it left out with a note", c.Components, c.Notes)
	}
}

// Prometheus going away mid-run loses only its column: the node figures and
// the measurement stay.
func TestPrometheusFailingMidRunDropsOnlyItsColumn(t *testing.T) {
	url, proc := startPrometheus(t)
	p, err := NewPrometheus(context.Background(), url, selfQueries[:1])
	if err != nil {
		t.Fatal(err)
	}
	s, err := Start(context.Background(), Options{Cgroup: "-", Prometheus: p, Interval: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	proc.Process.Kill()
	proc.Wait()
	time.Sleep(500 * time.Millisecond)
	c := s.Stop()
	if len(c.Components) != 0 {
		t.Errorf("components %v from a Prometheus that is gone", c.Components)
	}
	if !hasNote(c.Notes, "prometheus prometheus: dropped") {
		t.Errorf("notes %q do not say the column was dropped", c.Notes)
	}
	if c.Duration < 900*time.Millisecond || len(c.Samples) < 4 || c.User+c.System+c.Idle <= 0 {
		t.Errorf("node figures lost with Prometheus: %+v", c)
	}
}

func TestPrometheusUnreachableAtStart(t *testing.T) {
	url := fmt.Sprintf("http://127.0.0.1:%d", freePort(t))
	if _, err := NewPrometheus(context.Background(), url, nil); err == nil {
		t.Error("an unreachable Prometheus was accepted")
	}
	for _, bad := range []string{"", "prometheus:9090", "ftp://x"} {
		if _, err := NewPrometheus(context.Background(), bad, nil); err == nil {
			t.Errorf("URL %q was accepted", bad)
		}
	}
	for _, bad := range []string{"noequals", "=expr", "name="} {
		if _, err := ParseQuery(bad); err == nil {
			t.Errorf("query %q was accepted", bad)
		}
	}
}

func hasNote(notes []string, sub string) bool {
	for _, n := range notes {
		if strings.Contains(n, sub) {
			return true
		}
	}
	return false
}
