package cpu

import (
	"strings"
	"testing"
)

// FuzzParseQuery: no panic; an accepted query has a name and an expression
// without surrounding space.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`ztunnel=sum(rate(x[$window]))`, "a=b=c", "=x", "x=", "", " n = e "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			return
		}
		if q.Name == "" || q.Expr == "" || strings.TrimSpace(q.Name) != q.Name || strings.TrimSpace(q.Expr) != q.Expr {
			t.Fatalf("ParseQuery(%q) = %+v", s, q)
		}
	})
}
