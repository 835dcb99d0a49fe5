package cluster

import (
	"errors"
	"fmt"
	"time"
)

// APIServerGrace is how long a wait tolerates an apiserver that does not
// answer (a restart, etcd pausing) before it gives up with the reason
// instead of waiting out the pod timeout.
var APIServerGrace = 30 * time.Second

// apiserverLoss tracks how long the apiserver has failed every request in
// a row.
type apiserverLoss struct{ since time.Time }

// failed records a failed request; past APIServerGrace of failures it
// returns the error to stop the wait with.
func (l *apiserverLoss) failed(err error) error {
	if l.since.IsZero() {
		l.since = time.Now()
	}
	if d := time.Since(l.since); d > APIServerGrace {
		return &APIServerLostError{For: d.Round(time.Second), Err: err}
	}
	return nil
}

func (l *apiserverLoss) answered() { l.since = time.Time{} }

// APIServerLostError is a wait that ended because the apiserver stopped
// answering.
type APIServerLostError struct {
	For time.Duration
	Err error
}

func (e *APIServerLostError) Error() string {
	return fmt.Sprintf("the cluster's apiserver has not answered for %s: %v", e.For, e.Err)
}

func (e *APIServerLostError) Unwrap() error { return e.Err }

// PodGoneError is a pod deleted (by someone else) before it finished.
type PodGoneError struct{ Namespace, Name string }

func (e *PodGoneError) Error() string {
	return fmt.Sprintf("pod %s/%s was deleted before it finished", e.Namespace, e.Name)
}

// stopped reports whether a wait ended on one of the errors above rather
// than its timeout.
func stopped(err error) bool {
	var ie *ImageError
	var le *APIServerLostError
	var ge *PodGoneError
	return errors.As(err, &ie) || errors.As(err, &le) || errors.As(err, &ge)
}
