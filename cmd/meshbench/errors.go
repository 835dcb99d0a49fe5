package main

import (
	"errors"
	"fmt"
)

// usageError marks bad input: the command exits with code 2 and creates
// nothing. Its message is one line naming the flag and the accepted form.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usageErr wraps err as bad input; nil stays nil.
func usageErr(err error) error {
	if err == nil {
		return nil
	}
	var ue *usageError
	if errors.As(err, &ue) {
		return err
	}
	return &usageError{err: err}
}

// usagef formats a bad-input error, e.g. usagef("--rate %q: want a positive number of requests per second", v).
func usagef(format string, a ...any) error { return &usageError{err: fmt.Errorf(format, a...)} }
