package loadgen

import (
	"bytes"
	"testing"
)

func TestStreamHeaderRoundTrip(t *testing.T) {
	for _, h := range []streamHeader{
		{Mode: modeSink, Session: 1},
		{Mode: modeSource, Session: 1<<64 - 1, Size: 128 << 10},
		{Mode: modeRR, Session: 42, Size: 1},
		{Mode: modeCRR, Session: 7, Size: maxStreamMessage},
		{Mode: modeQuery},
		{Mode: modeCPU},
	} {
		got, err := readStreamHeader(bytes.NewReader(h.marshal()))
		if err != nil || got != h {
			t.Errorf("%+v came back as %+v, %v", h, got, err)
		}
	}
	for name, b := range map[string][]byte{
		"http":          []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		"unknown mode":  streamHeader{Mode: 'x'}.marshal(),
		"rr size 0":     streamHeader{Mode: modeRR}.marshal(),
		"source huge":   streamHeader{Mode: modeSource, Size: maxStreamMessage + 1}.marshal(),
		"short":         []byte("mbst"),
		"other version": append([]byte("mbst\x02"), make([]byte, 19)...),
	} {
		if _, err := readStreamHeader(bytes.NewReader(b)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// FuzzParseStreamHeader: whatever a peer sends, the parser neither panics
// nor accepts a size that would make the server allocate without bound.
func FuzzParseStreamHeader(f *testing.F) {
	f.Add(streamHeader{Mode: modeRR, Session: 1, Size: 1}.marshal())
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseStreamHeader(b)
		if err != nil {
			return
		}
		if h.Size > maxStreamMessage {
			t.Fatalf("accepted size %d", h.Size)
		}
		if again, err := parseStreamHeader(h.marshal()); err != nil || again != h {
			t.Fatalf("%+v does not survive a round trip: %+v, %v", h, again, err)
		}
	})
}
