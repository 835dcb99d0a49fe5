package loadgen

import (
	"net"
	"time"
)

// TCPInfo is the kernel's view of one TCP connection, read with TCP_INFO on
// Linux. Retransmits is the connection's total since it opened, so interval
// figures are differences of two readings.
type TCPInfo struct {
	Retransmits int64
	RTT         time.Duration
	RTTVar      time.Duration
	// Cwnd is the congestion window in segments of MSS bytes.
	Cwnd int64
	MSS  int64
}

// ReadTCPInfo reads conn's TCP_INFO. ok is false where the platform or the
// connection has none (not Linux, not TCP, already closed).
func ReadTCPInfo(conn net.Conn) (info TCPInfo, ok bool) {
	tc, isTCP := conn.(*net.TCPConn)
	if !isTCP {
		return TCPInfo{}, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return TCPInfo{}, false
	}
	return readTCPInfo(raw)
}
