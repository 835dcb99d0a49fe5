package results

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// writeForeverEnv makes this test binary, started by
// TestAKilledWriterLeavesAReadableDocument, rewrite a growing document at
// the path it names until it is killed, as a run does after every step.
const writeForeverEnv = "MESHBENCH_TEST_WRITE_FOREVER"

func TestMain(m *testing.M) {
	if path := os.Getenv(writeForeverEnv); path != "" {
		d := New()
		for step := 0; ; step++ {
			samples := make([]int64, 20_000)
			for i := range samples {
				samples[i] = int64(500_000 + i)
			}
			d.Cells = append(d.Cells, Cell{Step: strconv.Itoa(step), Arm: ArmTarget, Size: 512, SizeLabel: ".5k",
				Latency: &Latency{SamplesNs: samples, Requests: len(samples), NewConnections: int64(len(samples)), Rate: 100, AchievedRate: 100}})
			if err := d.WriteFile(path); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
	}
	os.Exit(m.Run())
}

// SIGKILL at any moment of writing leaves the last complete document, never
// a truncated one.
func TestAKilledWriterLeavesAReadableDocument(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		path := filepath.Join(t.TempDir(), "run.json")
		p := exec.Command(exe, "-test.run=^$")
		p.Env = append(os.Environ(), writeForeverEnv+"="+path)
		p.Stderr = os.Stderr
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			if _, err := os.Stat(path); err == nil || time.Now().After(deadline) {
				break
			}
		}
		time.Sleep(time.Duration(50+70*i) * time.Millisecond) // several writes in, one under way
		p.Process.Signal(syscall.SIGKILL)
		p.Wait()
		d, err := ReadFile(path)
		if err != nil {
			t.Fatalf("kill %d: %v", i+1, err)
		}
		if len(d.Cells) == 0 {
			t.Fatalf("kill %d: the document has no steps", i+1)
		}
	}
}
