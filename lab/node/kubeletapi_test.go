package node

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSeekTail(t *testing.T) {
	for _, tc := range []struct {
		content string
		n       int64
		want    string
	}{
		{"a\nb\nc\n", 2, "b\nc\n"},
		{"a\nb\nc\n", 3, "a\nb\nc\n"},
		{"a\nb\nc\n", 10, "a\nb\nc\n"},
		{"a\nb\nc", 1, "c"},
		{"a\nb\nc", 2, "b\nc"},
		{"a\nb\nc\n", 0, ""},
		{"", 3, ""},
		{strings.Repeat("x", 100000) + "\nlast\n", 1, "last\n"},
		{"first\n" + strings.Repeat("y", 100000) + "\n", 1, strings.Repeat("y", 100000) + "\n"},
	} {
		path := filepath.Join(t.TempDir(), "log")
		if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := seekTail(f, tc.n); err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(f)
		f.Close()
		if string(got) != tc.want {
			t.Errorf("tail %d of %.20q: got %.20q, want %.20q", tc.n, tc.content, got, tc.want)
		}
	}
}

func TestLimitWriter(t *testing.T) {
	var b bytes.Buffer
	w := &limitWriter{w: &b, left: 5}
	if _, err := io.Copy(w, strings.NewReader("hello world")); !errors.Is(err, errLimit) {
		t.Fatalf("err %v, want errLimit", err)
	}
	if b.String() != "hello" {
		t.Fatalf("wrote %q, want %q", b.String(), "hello")
	}
}
