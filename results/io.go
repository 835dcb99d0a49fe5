package results

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/meshbench/meshbench/internal/atomicfile"
)

// New returns an empty document stamped with this meshbench and this host.
func New() *Document {
	return &Document{
		Kind:          Kind,
		SchemaVersion: SchemaVersion,
		Meshbench:     Version,
		CreatedAt:     time.Now().UTC(),
		Host:          ThisHost(),
	}
}

// ThisHost describes the machine meshbench runs on.
func ThisHost() Host {
	h := Host{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), GoVersion: runtime.Version()}
	h.Hostname, _ = os.Hostname()
	var u unix.Utsname
	if unix.Uname(&u) == nil {
		h.Kernel = unix.ByteSliceToString(u.Release[:])
	}
	return h
}

// Write encodes d as indented JSON (one-space indent, a final newline).
func (d *Document) Write(w io.Writer) error {
	iw := newIndentWriter(w, " ")
	if err := json.NewEncoder(iw).Encode(d); err != nil {
		return err
	}
	return iw.Flush()
}

// WriteFile writes d to path ("-" is stdout) atomically: a reader, or a
// process killed mid-write, sees the previous file or the whole new one.
func (d *Document) WriteFile(path string) error {
	if path == "-" || path == "" {
		return d.Write(os.Stdout)
	}
	return atomicfile.Write(path, d.Write)
}

// Read decodes a document and checks that it is one meshbench can read
// and that nothing follows it.
func Read(r io.Reader) (*Document, error) {
	return read(r, true)
}

// ReadPrefix is Read of a stream the document only starts, such as a pod's
// log, where the command's own lines on stderr follow the document.
func ReadPrefix(r io.Reader) (*Document, error) {
	return read(r, false)
}

func read(r io.Reader, whole bool) (*Document, error) {
	var d Document
	dec := json.NewDecoder(r)
	if err := dec.Decode(&d); err != nil {
		return nil, fmt.Errorf("not a meshbench results document: %v", err)
	}
	if d.Kind != Kind {
		return nil, fmt.Errorf("not a meshbench results document: kind %q, want %q", d.Kind, Kind)
	}
	if d.SchemaVersion < 1 || d.SchemaVersion > SchemaVersion {
		return nil, fmt.Errorf("results schema version %d is not supported (this meshbench reads 1..%d)", d.SchemaVersion, SchemaVersion)
	}
	// One document per file: a second one, or anything after it, means
	// the file is not what the reader thinks (two runs concatenated, a
	// write that went wrong).
	if _, err := dec.Token(); whole && err != io.EOF {
		return nil, fmt.Errorf("not one meshbench results document: there is data after the document's end (at byte %d); give each document as a file of its own", dec.InputOffset())
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("invalid results document: %w", err)
	}
	return &d, nil
}

// ReadFile reads a document from path; errors name the file.
func ReadFile(path string) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// MeshLabel returns the cell's configuration name, "none" when empty.
func (c *Cell) MeshLabel() string {
	if strings.TrimSpace(c.Mesh) == "" {
		return "none"
	}
	return c.Mesh
}
