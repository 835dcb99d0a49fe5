package meshes

import "testing"

// FuzzParseMeshes: no panic; accepted meshes are known and listed once.
func FuzzParseMeshes(f *testing.F) {
	for _, s := range []string{"none", "none,istio-ambient", "linkerd,linkerd", "Cilium-WireGuard", "", ",", "bogus"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ms, err := ParseMeshes(s)
		if err != nil {
			return
		}
		seen := map[Mesh]bool{}
		for _, m := range ms {
			if back, err := ParseMesh(string(m)); err != nil || back != m || seen[m] {
				t.Fatalf("ParseMeshes(%q) = %v", s, ms)
			}
			seen[m] = true
		}
	})
}
