package loadgen

import (
	"testing"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// A request that fails before it reaches the transport (so the hit log has
// no entry for it) is counted for the target it was sent to, in the
// window's random per-block order — not for the target its sequence number
// would have had in a fixed alternation.
func TestFailuresBeforeTheTransportCountForTheirOwnTarget(t *testing.T) {
	cfg := Config{
		Targets: []Target{{Name: "ok", URL: "http://127.0.0.1:1"}, {Name: "broken", URL: "http://127.0.0.1:2"}},
		Sizes:   []Size{{Label: ".5k", Bytes: 512}},
		Rate:    100, Requests: 64,
	}
	r := newRun(cfg)
	order := targetOrder{targets: 2, seed: 7}
	log := newHitLog(nil)
	sent := make([]int, 2)
	for seq := range uint64(64) {
		ti := order.target(seq)
		sent[ti]++
		res := &vegeta.Result{Seq: seq, URL: targetURL(sizedURL(cfg.Targets[ti].URL, 512), ti), Code: 200, BytesIn: 512}
		if ti == 0 {
			// The good target's requests went through the transport.
			log.hits[seq] = &hit{target: 0, bytes: 512}
		} else {
			res.Code, res.Error = 0, "request refused before sending"
		}
		r.record(0, res, log)
	}
	ok, broken := r.cells[0][0].cell.Latency, r.cells[0][1].cell.Latency
	if ok.Requests != sent[0] || broken.Requests != sent[1] {
		t.Errorf("requests ok %d, broken %d; sent %v", ok.Requests, broken.Requests, sent)
	}
	if len(ok.Errors) != 0 || len(ok.SamplesNs) != sent[0] {
		t.Errorf("the working target was charged with failures: errors %v, %d samples of %d", ok.Errors, len(ok.SamplesNs), sent[0])
	}
	failed := 0
	for _, n := range broken.Errors {
		failed += n
	}
	if failed != sent[1] {
		t.Errorf("the broken target has %d failures of %d requests sent to it", failed, sent[1])
	}
}
