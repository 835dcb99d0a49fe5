package policies

import "testing"

// FuzzParseClientCIDR: no panic; an accepted prefix has no host bits and
// stays clear of the decoys' range.
func FuzzParseClientCIDR(f *testing.F) {
	for _, s := range []string{"10.244.1.7/32", "10.244.1.7", "fd00::1", "198.18.0.1", "10.0.0.1/8", "", "x", "1.2.3.4/33"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseClientCIDR(s)
		if err != nil {
			return
		}
		if !p.IsValid() || p.Masked() != p || p.Overlaps(decoyRange) {
			t.Fatalf("ParseClientCIDR(%q) = %v", s, p)
		}
	})
}
