package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
)

func newTestID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// testLog sends the run's progress lines to the test log.
type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	if l.t != nil {
		l.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// cancelOn cancels the run when a progress line contains text.
type cancelOn struct {
	t      *testing.T
	text   string
	cancel context.CancelFunc
}

func (c cancelOn) Write(p []byte) (int, error) {
	c.t.Log(strings.TrimSpace(string(p)))
	if strings.Contains(string(p), c.text) {
		c.cancel()
	}
	return len(p), nil
}
