package loadgen

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// serverProcessEnv makes the test binary a plain meshbench server: the peer
// benchmark runs its server in a process of its own, so no client shares a
// Go runtime with it.
const serverProcessEnv = "MESHBENCH_TEST_SERVER_PROCESS"

func TestMain(m *testing.M) {
	if os.Getenv(streamServerProcessEnv) != "" {
		serveStreamsUntilStdinCloses()
		return
	}
	if v := os.Getenv(serverProcessEnv); v != "" {
		delay, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		serveUntilStdinCloses(delay)
		return
	}
	os.Exit(m.Run())
}

// serveUntilStdinCloses prints the address it listens on and serves until
// its parent closes stdin (or dies).
func serveUntilStdinCloses(delay time.Duration) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		buf := make([]byte, 1)
		for {
			if _, err := os.Stdin.Read(buf); err != nil {
				cancel()
				return
			}
		}
	}()
	NewServer(WithDelay(delay)).Serve(ctx, ln)
}

// startServerProcess runs a server with the given delay in a child process
// and returns its base URL.
func startServerProcess(tb testing.TB, delay time.Duration) string {
	tb.Helper()
	exe, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), serverProcessEnv+"="+delay.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("server process: %v", err)
	}
	return "http://" + strings.TrimSpace(line)
}
