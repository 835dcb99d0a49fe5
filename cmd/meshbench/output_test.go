package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A failed load must leave the user's existing file as it was: the
// document replaces it only once there is one to write.
func TestLoadFailureKeepsAnExistingOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "existing.json")
	if err := os.WriteFile(out, []byte("the user's earlier results\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stderr := run(t, "load", "--target", closedURL(t), "--requests", "5", "-o", out)
	if code == 0 {
		t.Fatalf("load against a closed port succeeded: %s", stderr)
	}
	if b, err := os.ReadFile(out); err != nil || string(b) != "the user's earlier results\n" {
		t.Errorf("after a failed load the file holds %q (%v)", b, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("the failed load left files behind: %v", entries)
	}
}

// A successful load replaces the file and leaves no temporary file.
func TestLoadReplacesAnExistingOutputFile(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "existing.json")
	os.WriteFile(out, []byte("old"), 0o644)
	code, stderr := run(t, "load", "--target", testServer(t), "--requests", "3", "--warmup", "0", "--sizes", "1k", "-o", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if b, _ := os.ReadFile(out); !strings.Contains(string(b), "meshbench.io/results") {
		t.Errorf("the file was not replaced by the document: %.80q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}
}
