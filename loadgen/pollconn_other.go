//go:build !linux

package loadgen

import (
	"context"
	"errors"
	"net/netip"
	"time"
)

const pollSupported = false

type pollConn struct{}

func dialPoll(context.Context, netip.AddrPort, time.Time, func()) (*pollConn, error) {
	return nil, errors.New("poll connections need Linux")
}

func (*pollConn) Read([]byte) (int, error)  { return 0, errors.New("unsupported") }
func (*pollConn) Write([]byte) (int, error) { return 0, errors.New("unsupported") }
func (*pollConn) Close() error              { return nil }
