package loadgen

import (
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

func readTCPInfo(raw syscall.RawConn) (info TCPInfo, ok bool) {
	err := raw.Control(func(fd uintptr) {
		ti, err := unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
		if err != nil {
			return
		}
		info = TCPInfo{
			Retransmits: int64(ti.Total_retrans),
			RTT:         time.Duration(ti.Rtt) * time.Microsecond,
			RTTVar:      time.Duration(ti.Rttvar) * time.Microsecond,
			Cwnd:        int64(ti.Snd_cwnd),
			MSS:         int64(ti.Snd_mss),
		}
		ok = true
	})
	return info, ok && err == nil
}
