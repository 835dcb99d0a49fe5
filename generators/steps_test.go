package generators

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseSteps(t *testing.T) {
	good := map[string][]int{
		"0,10,50,100,200": {0, 10, 50, 100, 200},
		" 0, 10 ,50":      {0, 10, 50},
		"200,100,0":       {200, 100, 0}, // a plan may go down
		"7":               {7},
	}
	for in, want := range good {
		got, err := ParseSteps(in)
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("ParseSteps(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	bad := map[string]string{
		"":          "at least one",
		"0,,10":     "not a non-negative integer",
		"0,-5":      "not a non-negative integer",
		"0,ten":     "not a non-negative integer",
		"1.5":       "not a non-negative integer",
		"0,10,0":    "listed twice",
		"10,20,10 ": "listed twice",
	}
	for in, why := range bad {
		_, err := ParseSteps(in)
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Flag != StepsFlag || !strings.Contains(err.Error(), why) {
			t.Errorf("ParseSteps(%q) error = %v; want a %s error saying %q", in, err, StepsFlag, why)
		}
	}
}
