//go:build !linux

package loadgen

import "syscall"

// Only Linux has TCP_INFO in this form; elsewhere the figures stay unknown.
func readTCPInfo(syscall.RawConn) (TCPInfo, bool) { return TCPInfo{}, false }
