package loadgen

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// The raw TCP stream protocol. A client opens a connection and sends one
// fixed-size header; the header's mode says what the connection is for:
//
//	sink    the client sends until it half-closes; the server counts and discards
//	source  the server sends until the client half-closes; the client drains
//	rr      ping-pong: the client sends a message, the server answers with one
//	        of the same size, repeated on the one connection (netperf TCP_RR)
//	crr     one message and one answer, then the server closes (TCP_CRR)
//	query   the server answers with the JSON counters of one session
//	cpu     the server answers with a JSON cpu.Snapshot of its node and its
//	        own cgroup, so a client can bracket a measurement with two
//
// Every connection of one measurement carries the same session ID, so the
// client can ask the server afterwards what it counted for exactly that
// measurement, whoever else uses the server meanwhile.
const (
	streamMagic      = "mbst"
	streamVersion    = 1
	streamHeaderSize = 24
)

// streamMode is the header byte that selects what a connection is for.
type streamMode byte

const (
	modeSink   streamMode = 's'
	modeSource streamMode = 'r'
	modeRR     streamMode = 'p'
	modeCRR    streamMode = 'c'
	modeQuery  streamMode = 'q'
	modeCPU    streamMode = 'u'
)

func (m streamMode) String() string {
	switch m {
	case modeSink:
		return "sink"
	case modeSource:
		return "source"
	case modeRR:
		return "rr"
	case modeCRR:
		return "crr"
	case modeQuery:
		return "query"
	case modeCPU:
		return "cpu"
	}
	return fmt.Sprintf("mode(%q)", byte(m))
}

// streamHeader is the first thing a client sends on every connection.
type streamHeader struct {
	Mode    streamMode
	Session uint64
	// Size is the server's write size for source, and the message size for rr and crr.
	Size uint32
}

// Layout: magic[0:4] version[4] mode[5] reserved[6:8] session[8:16] size[16:20] reserved[20:24].
func (h streamHeader) marshal() []byte {
	b := make([]byte, streamHeaderSize)
	copy(b, streamMagic)
	b[4] = streamVersion
	b[5] = byte(h.Mode)
	binary.BigEndian.PutUint64(b[8:16], h.Session)
	binary.BigEndian.PutUint32(b[16:20], h.Size)
	return b
}

var errNotStream = errors.New("not a meshbench stream header")

func readStreamHeader(r io.Reader) (streamHeader, error) {
	var b [streamHeaderSize]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return streamHeader{}, err
	}
	return parseStreamHeader(b[:])
}

func parseStreamHeader(b []byte) (streamHeader, error) {
	if len(b) < streamHeaderSize || string(b[:4]) != streamMagic {
		return streamHeader{}, errNotStream
	}
	if b[4] != streamVersion {
		return streamHeader{}, fmt.Errorf("stream protocol version %d, this server speaks %d", b[4], streamVersion)
	}
	h := streamHeader{
		Mode:    streamMode(b[5]),
		Session: binary.BigEndian.Uint64(b[8:16]),
		Size:    binary.BigEndian.Uint32(b[16:20]),
	}
	switch h.Mode {
	case modeSink, modeSource, modeRR, modeCRR, modeQuery, modeCPU:
	default:
		return streamHeader{}, fmt.Errorf("unknown stream mode %v", h.Mode)
	}
	needsSize := h.Mode == modeRR || h.Mode == modeCRR || h.Mode == modeSource
	if h.Size > maxStreamMessage || (needsSize && h.Size == 0) {
		return streamHeader{}, fmt.Errorf("%v: size %d out of range 1..%d", h.Mode, h.Size, maxStreamMessage)
	}
	return h, nil
}

// maxStreamMessage bounds the buffers a header can make the server allocate.
const maxStreamMessage = 16 << 20
