package loadgen

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// UnreachableError is a target that did not answer before the run started.
type UnreachableError struct {
	Target Target
	Err    error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("target %s (%s) is unreachable: %v", e.Target.Name, e.Target.URL, errorKindOf(e.Err))
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// errorKindOf shortens a transport error to its kind for a one-line message.
func errorKindOf(err error) string { return transportErrorKind(err.Error()) }

// CheckTargets sends one request of the smallest size to every target
// before a run, so an unreachable URL fails at once with one line instead
// of as thousands of errors. Any HTTP answer counts as reachable: a target
// that answers 500 is measured and its errors counted.
func CheckTargets(ctx context.Context, targets []Target, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	c := &http.Client{
		Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil},
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	for _, t := range targets {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, sizedURL(t.URL, 0), nil)
		if err != nil {
			return &UnreachableError{Target: t, Err: err}
		}
		resp, err := c.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return &UnreachableError{Target: t, Err: err}
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil
}
