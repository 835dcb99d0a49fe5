package main

import (
	"os"
	"os/exec"
	"testing"
)

// asMain makes this test binary run meshbench's main when a test starts it
// as a process of its own: signals and exit codes are then real.
const asMain = "MESHBENCH_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// meshbenchProcess is a meshbench command line run by this test binary
// in a process of its own.
func meshbenchProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), asMain+"=1")
	return cmd
}
