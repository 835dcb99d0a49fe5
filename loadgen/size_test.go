package loadgen

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0":                   0,
		"512":                 512,
		"512B":                512,
		".5k":                 500,
		"0.5k":                500,
		"1k":                  1000,
		"1K":                  1000,
		"1kB":                 1000,
		"10k":                 10000,
		"100k":                100000,
		"1M":                  1000000,
		"1m":                  1000000,
		"1MB":                 1000000,
		"1.5M":                1500000,
		"1G":                  1000000000,
		"1Ki":                 1024,
		"1KiB":                1024,
		"1kib":                1024,
		".5Ki":                512,
		"1Mi":                 1 << 20,
		"1MiB":                1 << 20,
		"2Gi":                 2 << 30,
		" 1k ":                1000,
		"1 k":                 1000,
		"1.000k":              1000,
		"9223372036854775807": 9223372036854775807,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestParseSizeRejects(t *testing.T) {
	for in, msg := range map[string]string{
		"":                      "empty",
		"   ":                   "empty",
		"12q":                   `unknown unit "q"`,
		"-1":                    "negative",
		"-1k":                   "negative",
		"+1":                    "want bytes",
		"k":                     "want bytes",
		".":                     "want bytes",
		"1.2.3":                 "unknown unit",
		"1e3":                   "unknown unit",
		"0.0001k":               "not a whole number",
		"1.1":                   "not a whole number",
		"9223372036854775808":   "too large",
		"10000000000G":          "too large",
		strings.Repeat("1", 80): "too long",
	} {
		_, err := ParseSize(in)
		if err == nil {
			t.Errorf("ParseSize(%q) succeeded, want an error containing %q", in, msg)
			continue
		}
		if !strings.Contains(err.Error(), msg) || strings.Contains(err.Error(), "\n") {
			t.Errorf("ParseSize(%q) error %q, want one line containing %q", in, err, msg)
		}
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:       "0",
		512:     "512",
		500:     "500",
		1000:    "1k",
		1024:    "1Ki",
		10000:   "10k",
		100000:  "100k",
		1000000: "1M",
		1 << 20: "1Mi",
		1500:    "1500",
		2500000: "2.5M",
		1 << 30: "1Gi",
	} {
		if got := FormatSize(n); got != want {
			t.Errorf("FormatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

// FuzzParseSize checks that the parser never panics, that what it accepts
// is a non-negative size, and that FormatSize round-trips it exactly.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"512", ".5k", "0.5k", "1k", "10k", "100k", "1M", "1Mi", "1Ki", "1KiB", "1kB", "12q", "-1", "", "1.5Gi", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseSize(%q): error is not one line: %q", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		back, err := ParseSize(FormatSize(n))
		if err != nil || back != n {
			t.Fatalf("ParseSize(FormatSize(%d)=%q) = %d, %v", n, FormatSize(n), back, err)
		}
	})
}
