package crdvalidate

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"unicode"
)

// ErrNotFound reports that a kind's CRD files are not on this machine, e.g. a
// checkout without ../shared. Tests skip on it.
var ErrNotFound = errors.New("CRD files not found")

// LinkerdDirEnv overrides where Linkerd's CRD files are looked for.
const LinkerdDirEnv = "MESHBENCH_LINKERD_CRDS"

// linkerdDir finds ../shared/crds/linkerd beside the repository root (the
// directory holding go.mod), starting from the working directory.
func linkerdDir() (string, error) {
	if d := os.Getenv(LinkerdDirEnv); d != "" {
		return checkDir(d)
	}
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	return checkDir(filepath.Join(root, "..", "shared", "crds", "linkerd"))
}

func checkDir(d string) (string, error) {
	if st, err := os.Stat(d); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%w: Linkerd's CRDs belong in %s (set %s to another folder)", ErrNotFound, d, LinkerdDirEnv)
	}
	return d, nil
}

// repoRoot walks up from the working directory to the folder holding go.mod.
func repoRoot() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("%w: no go.mod above the working directory", ErrNotFound)
		}
		d = parent
	}
}

// moduleDir finds a dependency's source folder in the Go module cache: from the
// version this binary was built with, else by asking the go command.
func moduleDir(path string) (string, error) {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path != path {
				continue
			}
			if m.Replace != nil {
				m = m.Replace
			}
			if cache := modCache(); cache != "" {
				d := filepath.Join(cache, escapePath(m.Path)+"@"+m.Version)
				if _, err := os.Stat(d); err == nil {
					return d, nil
				}
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	if d := string(bytes.TrimSpace(out)); err == nil && d != "" {
		return d, nil
	}
	return "", fmt.Errorf("%w: module %s is not in the Go module cache (run go mod download)", ErrNotFound, path)
}

func modCache() string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return c
	}
	if out, err := exec.Command("go", "env", "GOMODCACHE").Output(); err == nil {
		return string(bytes.TrimSpace(out))
	}
	if p := os.Getenv("GOPATH"); p != "" {
		return filepath.Join(strings.Split(p, string(os.PathListSeparator))[0], "pkg", "mod")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, "go", "pkg", "mod")
	}
	return ""
}

// escapePath applies the module cache's case encoding: an upper-case letter
// becomes '!' and its lower case.
func escapePath(p string) string {
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('!')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
