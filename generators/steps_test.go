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

// FuzzParseSteps: whatever the input, ParseSteps either refuses it or returns
// distinct non-negative counts that format and parse back to themselves.
func FuzzParseSteps(f *testing.F) {
	for _, s := range []string{"0,10,50,100,200", "200,0", "", "1,,2", "-1", " 7 ", "0x10", "1,1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		steps, err := ParseSteps(s)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, n := range steps {
			if n < 0 || seen[n] {
				t.Fatalf("ParseSteps(%q) = %v: negative or repeated", s, steps)
			}
			seen[n] = true
		}
		again, err := ParseSteps(formatSteps(steps))
		if err != nil || !slices.Equal(again, steps) {
			t.Fatalf("ParseSteps(%q) = %v, which round-trips to %v, %v", s, steps, again, err)
		}
	})
}
