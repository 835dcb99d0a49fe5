package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A file report cannot trust — two documents run together, a cell twice —
// is bad input named in one line, not a table of double-counted samples.
func TestReportRefusesDocumentsItCannotTrust(t *testing.T) {
	dir := t.TempDir()
	one, err := os.ReadFile(writeRunDocument(t, dir, "run.json", "", 1))
	if err != nil {
		t.Fatal(err)
	}
	two := filepath.Join(dir, "two.json")
	os.WriteFile(two, append(append([]byte{}, one...), one...), 0o644)
	dup := filepath.Join(dir, "dup.json")
	s := string(one)
	cells := s[strings.Index(s, `"cells": [`)+len(`"cells": [`):]
	first := cells[:strings.Index(cells, "\n  },")+len("\n  },")]
	os.WriteFile(dup, []byte(strings.Replace(s, `"cells": [`, `"cells": [`+first, 1)), 0o644)
	for file, want := range map[string]string{two: "after the document", dup: "the same latency measurement as cell 1"} {
		code, stdout, stderr := runResultsCLI(t, "report", "--resamples", "200", file)
		if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, want) {
			t.Errorf("%s: exit %d, stdout %d bytes, stderr %q; want exit 2 and one line about %s", filepath.Base(file), code, len(stdout), stderr, want)
		}
	}
}
