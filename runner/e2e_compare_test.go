package runner

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/lab"
)

// Two real runs on the lab — nothing applied, then 20 NetworkPolicies — put
// side by side by `meshbench compare` in every output format.
func TestCompareRendersTwoLabRuns(t *testing.T) {
	c := labClient(t)
	dir := t.TempDir()
	var files []string
	for _, step := range []int{0, 20} {
		cfg := smallConfig(t, step)
		cfg.Load.Sizes = []string{".5k", "10k"}
		doc, err := Run(context.Background(), c, cfg)
		if err != nil {
			t.Fatalf("run at %d policies: %v", step, err)
		}
		f := filepath.Join(dir, cfg.RunID+".json")
		if err := doc.WriteFile(f); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	bin := filepath.Join(dir, "meshbench")
	root, _ := lab.RepoRoot()
	build := exec.Command("go", "build", "-o", bin, "./cmd/meshbench")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	compare := func(format string) []byte {
		t.Helper()
		args := append([]string{"compare", "--label", "plain", "--label", "twenty", "-o", format}, files...)
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("compare -o %s: %v", format, err)
		}
		return out
	}
	for _, format := range []string{"table", "markdown"} {
		out := string(compare(format))
		for _, want := range []string{"plain", "twenty", ".5k", "10k"} {
			if !strings.Contains(out, want) {
				t.Errorf("compare -o %s lacks %q:\n%s", format, want, out)
			}
		}
	}
	if md := string(compare("markdown")); !strings.Contains(md, "|---") && !strings.Contains(md, "| ---") {
		t.Errorf("markdown has no table header separator:\n%s", md)
	}
	records, err := csv.NewReader(bytes.NewReader(compare("csv"))).ReadAll()
	if err != nil {
		t.Fatalf("csv does not parse: %v", err)
	}
	rows := map[string]bool{}
	for _, r := range records {
		for _, f := range r {
			if f == "plain" || f == "twenty" {
				rows[f] = true
			}
		}
	}
	if !rows["plain"] || !rows["twenty"] {
		t.Errorf("csv rows lack a run: %v", rows)
	}
	var js any
	if err := json.Unmarshal(compare("json"), &js); err != nil {
		t.Fatalf("json does not parse: %v", err)
	}
	if s, _ := json.Marshal(js); !strings.Contains(string(s), "twenty") {
		t.Errorf("json lacks the second run")
	}
}
