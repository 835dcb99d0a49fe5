package loadgen

import "testing"

func TestTargetOrderAlternatesInRandomOrder(t *testing.T) {
	for _, n := range []int{1, 2, 3, 17} {
		o := targetOrder{targets: n, seed: 7}
		firsts := map[int]int{}
		for block := range uint64(400) {
			seen := map[int]bool{}
			for pos := range uint64(n) {
				seen[o.target(block*uint64(n)+pos)] = true
			}
			if len(seen) != n {
				t.Fatalf("%d targets: block %d visits %d of them", n, block, len(seen))
			}
			firsts[o.target(block*uint64(n))]++
		}
		// Every target leads some blocks: the order is not fixed.
		if len(firsts) != n {
			t.Errorf("%d targets: only %v ever go first", n, firsts)
		}
	}
	if a, b := (targetOrder{2, 1}).target(10), (targetOrder{2, 1}).target(10); a != b {
		t.Errorf("the same seed gives different orders")
	}
}
