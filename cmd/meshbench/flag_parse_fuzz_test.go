package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/meshbench/meshbench/loadgen"
)

// FuzzParseSeconds: no panic; an accepted duration is positive (or zero
// where zero is allowed), a refused one is bad input naming the flag.
func FuzzParseSeconds(f *testing.F) {
	for _, s := range []string{"10s", "10", "0.5", "500ms", "0", "-1", "1e300", "NaN", "Inf", "1h2m", "", "soon"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, v string, zeroOK bool) {
		d, err := parseSeconds("--duration", v, zeroOK)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.HasPrefix(err.Error(), "--duration ") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("parseSeconds(%q): %v is not one line of bad input naming the flag", v, err)
			}
			return
		}
		if d < 0 || (d == 0 && !zeroOK) {
			t.Fatalf("parseSeconds(%q, %v) = %v", v, zeroOK, d)
		}
	})
}

// FuzzParseCounts: no panic; accepted counts are 1..MaxStreamParallel.
func FuzzParseCounts(f *testing.F) {
	for _, s := range []string{"1,2,4,8", "1", "0", "1,,2", " 3 ", "2000", "-1", "9223372036854775808", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		counts, err := parseCounts(v)
		if err != nil {
			return
		}
		if len(counts) == 0 {
			t.Fatalf("parseCounts(%q) accepted no count", v)
		}
		for _, n := range counts {
			if n < 1 || n > loadgen.MaxStreamParallel {
				t.Fatalf("parseCounts(%q) accepted %d", v, n)
			}
		}
	})
}
