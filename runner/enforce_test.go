package runner

import (
	"testing"
	"time"

	"github.com/meshbench/meshbench/loadgen"
)

func TestSettledNeedsAnUnbrokenRunAfterTheApply(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(ms int, ok bool) loadgen.ProbeResult {
		return loadgen.ProbeResult{Time: t0.Add(time.Duration(ms) * time.Millisecond), OK: ok}
	}
	since := t0.Add(1000 * time.Millisecond)
	cases := []struct {
		name     string
		attempts []loadgen.ProbeResult
		want     bool
		ok       bool
		from     int
	}{
		{"denied three times after the apply", []loadgen.ProbeResult{at(500, true), at(1200, true), at(1500, false), at(2000, false), at(2500, false)}, false, true, 1500},
		{"two denials are not enough", []loadgen.ProbeResult{at(1200, true), at(1500, false), at(2000, false)}, false, false, 0},
		{"attempts before the apply do not count", []loadgen.ProbeResult{at(100, false), at(300, false), at(900, false), at(1200, false)}, false, false, 0},
		{"a late admission breaks the run", []loadgen.ProbeResult{at(1100, false), at(1200, false), at(1300, false), at(1400, true)}, false, false, 0},
		{"admitted client", []loadgen.ProbeResult{at(1100, true), at(1200, true), at(1300, true), at(1400, true)}, true, true, 1100},
	}
	for _, c := range cases {
		got, ok := settled(c.attempts, since, c.want)
		if ok != c.ok {
			t.Errorf("%s: settled = %v, want %v", c.name, ok, c.ok)
			continue
		}
		if ok && !got.Equal(t0.Add(time.Duration(c.from)*time.Millisecond)) {
			t.Errorf("%s: settled since %s, want +%dms", c.name, got.Sub(t0), c.from)
		}
	}
}

func TestParseAttemptsSkipsOtherLines(t *testing.T) {
	logs := []byte("starting\n{\"time\":\"2026-01-01T00:00:01Z\",\"url\":\"u\",\"ok\":true}\nnot json\n{\"time\":\"2026-01-01T00:00:02Z\",\"url\":\"u\",\"ok\":false,\"error\":\"timeout\"}\n")
	got := parseAttempts(logs)
	if len(got) != 2 || !got[0].OK || got[1].OK || got[1].Error != "timeout" {
		t.Fatalf("parseAttempts = %+v", got)
	}
}

func TestParseClientOutputFindsTheDocumentAfterLogLines(t *testing.T) {
	logs := []byte("warming up\nprogress 50%\n{\"kind\":\"meshbench.io/results\",\"schemaVersion\":1,\"cells\":[{\"step\":\"0\",\"arm\":\"target\",\"size\":512,\"sizeLabel\":\".5k\"}]}\n")
	doc, err := parseClientOutput(logs)
	if err != nil {
		t.Fatal(err)
	}
	if len(doc.Cells) != 1 || doc.Cells[0].Arm != "target" || doc.Cells[0].Size != 512 {
		t.Fatalf("cells = %+v", doc.Cells)
	}
	if _, err := parseClientOutput([]byte("panic: boom\n")); err == nil {
		t.Fatal("output without a document parsed")
	}
}
