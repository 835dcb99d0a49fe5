package loadgen

import "testing"

func TestScheduleSharesRequestsAndRotatesSizes(t *testing.T) {
	ws := schedule(3, 10, 3)
	if len(ws) != 9 {
		t.Fatalf("%d windows, want 3 rounds × 3 sizes", len(ws))
	}
	per := map[int]int{}
	for _, w := range ws {
		per[w.size] += w.perTarget
	}
	for s := range 3 {
		if per[s] != 10 {
			t.Errorf("size %d gets %d requests, want 10", s, per[s])
		}
	}
	// The first size of each round moves on by one.
	if ws[0].size != 0 || ws[3].size != 1 || ws[6].size != 2 {
		t.Errorf("round starts at sizes %d, %d, %d; want 0, 1, 2", ws[0].size, ws[3].size, ws[6].size)
	}
}
