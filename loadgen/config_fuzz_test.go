package loadgen

import (
	"strings"
	"testing"
)

// FuzzParseTarget: no panic; an accepted target has a name and a URL that
// CheckURL and Config validation accept.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"http://127.0.0.1:8080", "control=http://10.0.0.2:8080/x?a=b", "https://[::1]:443",
		"=http://h", "h:8080", "http://h:99999", "http://h:", "ftp://h", "a=b=http://h", "http://[::1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		tg, err := ParseTarget(spec, "A")
		if err != nil {
			return
		}
		if tg.Name == "" || CheckURL(tg.URL) != nil {
			t.Fatalf("ParseTarget(%q) = %+v: accepted a target CheckURL refuses", spec, tg)
		}
		cfg := Config{Targets: []Target{tg}, Requests: 1, Rate: 1}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("ParseTarget(%q) accepted a target Validate refuses: %v", spec, err)
		}
	})
}

// FuzzParseSizes: no panic; accepted sizes are non-negative and each
// reads back from its label.
func FuzzParseSizes(f *testing.F) {
	for _, s := range []string{".5k,1k,10k,100k,1M", "1Mi", "0", "12q", "1,,2", "-1k", " 1k , 2Ki ", "9223372036854775807", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		sizes, err := ParseSizes([]string{spec})
		if err != nil {
			return
		}
		for _, s := range sizes {
			n, err := ParseSize(s.Label)
			if s.Bytes < 0 || err != nil || n != s.Bytes || strings.Contains(s.Label, ",") {
				t.Fatalf("ParseSizes(%q): %+v does not read back (%d, %v)", spec, s, n, err)
			}
		}
	})
}
