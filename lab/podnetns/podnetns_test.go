package podnetns

import "testing"

// Names are stable, carry their node's tag, and never match another node's
// or a name the lab did not make.
func TestNames(t *testing.T) {
	a := Name("mblab-node-1", "uid-1")
	if a != Name("mblab-node-1", "uid-1") {
		t.Fatal("the same pod got two names")
	}
	if !IsPod(a) || !IsNodePod("mblab-node-1", a) {
		t.Errorf("%s: not recognised as a pod netns of mblab-node-1", a)
	}
	if IsNodePod("mblab-node-2", a) {
		t.Errorf("%s: recognised as a pod of mblab-node-2", a)
	}
	if b := Name("mblab-node-2", "uid-1"); b == a || !IsNodePod("mblab-node-2", b) {
		t.Errorf("the same UID on another node: %s (first node %s)", b, a)
	}
	for _, other := range []string{"mblab-node-1", "mblab-underlay", "cni-1234", "mblab-0123456789ab", "mblab-3f9a1c-0123456789aB", "mblab-3f9a1c_0123456789ab", "xmblab-3f9a1c-0123456789ab"} {
		if IsPod(other) {
			t.Errorf("%q taken for a pod netns", other)
		}
	}
}
