package node

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/meshbench/meshbench/lab/labtest"
)

// serveEnv turns the test binary into a small HTTP server, the stand-in for
// a pod's program in tests of the netns and process parts: started with
// MESHBENCH_NODE_TEST_SERVE=<addr> it answers every request with the
// address the connection reached and the request's origin.
const serveEnv = "MESHBENCH_NODE_TEST_SERVE"

// getEnv turns the test binary into a client: with MESHBENCH_NODE_TEST_GET=<url>
// it prints the body of one GET and exits 0, or exits 1.
const getEnv = "MESHBENCH_NODE_TEST_GET"

func TestMain(m *testing.M) {
	if addr := os.Getenv(serveEnv); addr != "" {
		os.Exit(testServe(addr))
	}
	if url := os.Getenv(getEnv); url != "" {
		os.Exit(testGet(url))
	}
	// Tests on the real lab share one (started by the first that needs it,
	// stopped after the last, or reused if one is running).
	os.Exit(labtest.Main(m))
}

func testServe(addr string) int {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("test server listening on %s\n", ln.Addr())
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		local := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
		fmt.Fprintf(w, "local=%s remote=%s env=%s\n", local, r.RemoteAddr, os.Getenv("POD_NAME"))
	})
	if err := http.Serve(ln, h); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	return 1
}

func testGet(url string) int {
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		fmt.Println(err)
		return 1
	}
	defer resp.Body.Close()
	_, _ = io.Copy(os.Stdout, resp.Body)
	return 0
}

// requireNetns skips a test that needs root and network namespaces where
// they are missing, and fails it instead when CI=true, where they must run.
func requireNetns(t testing.TB) {
	t.Helper()
	missing := ""
	switch {
	case os.Geteuid() != 0:
		missing = "root"
	default:
		if _, err := exec.LookPath("ip"); err != nil {
			missing = "iproute2's ip"
		} else if out, err := exec.Command("ip", "netns", "list").CombinedOutput(); err != nil {
			missing = "network namespace support (" + string(out) + ")"
		}
	}
	if missing == "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("this test needs %s, and CI=true requires it to run", missing)
	}
	t.Skipf("needs %s; run as root on Linux (CI=true makes this a failure)", missing)
}
