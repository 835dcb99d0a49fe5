package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// flagError turns a flag that could not be parsed into bad input that
// names the flag, the value given and the form the flag accepts; pflag's own
// message ends in strconv's ("parsing "abc": invalid syntax").
func flagError(cmd *cobra.Command, err error) error {
	var invalid *pflag.InvalidValueError
	if errors.As(err, &invalid) {
		f := invalid.GetFlag()
		return usagef("--%s %q: want %s", f.Name, invalid.GetValue(), acceptedForm(f))
	}
	var required *pflag.ValueRequiredError
	if errors.As(err, &required) {
		f := required.GetFlag()
		return usagef("--%s needs a value: want %s", f.Name, acceptedForm(f))
	}
	var unknown *pflag.NotExistError
	if errors.As(err, &unknown) {
		return usagef("%s; %s --help lists the flags", err, cmd.CommandPath())
	}
	return usageErr(err)
}

// acceptedForm describes what a flag of f's type accepts, with an example.
func acceptedForm(f *pflag.Flag) string {
	eg := f.DefValue
	switch f.Value.Type() {
	case "int", "int8", "int16", "int32", "int64":
		return "a whole number, e.g. " + example(eg, "0", "10")
	case "uint", "uint8", "uint16", "uint32", "uint64":
		return "a whole number of 0 or more, e.g. " + example(eg, "", "10")
	case "float32", "float64":
		return "a number, e.g. " + example(eg, "0", "100")
	case "duration":
		return "a duration with its unit (ns, us, ms, s, m, h), e.g. " + example(eg, "0s", "100ms")
	case "bool":
		return "true or false"
	case "stringSlice", "stringArray", "intSlice":
		return "a comma-separated list, e.g. " + example(strings.Trim(eg, "[]"), "", "a,b")
	}
	return fmt.Sprintf("%s (%s)", f.Value.Type(), f.Usage)
}

// example is the flag's default as an example, or fallback when the
// default says nothing (zero).
func example(def, zero, fallback string) string {
	if def == "" || def == zero {
		return fallback
	}
	return def
}
