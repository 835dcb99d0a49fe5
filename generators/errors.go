package generators

import "fmt"

// FieldError is a plan input that cannot be used. Flag names the command-line
// flag the value came from under meshbench's usual names (--kind, --shape,
// --policies, --namespace, --run-id, --port, --client-cidr,
// --client-service-account); a command with other names may rewrite it.
type FieldError struct {
	Flag   string
	Value  string
	Reason string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%s %q: %s", e.Flag, e.Value, e.Reason) }

func fieldErr(flag, value, format string, a ...any) *FieldError {
	return &FieldError{Flag: flag, Value: value, Reason: fmt.Sprintf(format, a...)}
}
