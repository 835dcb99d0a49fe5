package loadgen

import (
	"strconv"
	"strings"
)

// errorKind sorts a failed request into a small set of kinds a reader can
// act on. vegeta hands errors over as strings, so this matches on the
// messages of Go's net and net/http packages.
func errorKind(code uint16, msg string, gotBytes, wantBytes int64) string {
	switch {
	case msg != "" && code == 0:
		return transportErrorKind(msg)
	case code < 200 || code >= 300:
		return "status " + strconv.Itoa(int(code))
	case msg != "":
		return transportErrorKind(msg)
	case gotBytes < wantBytes:
		return "short body"
	case gotBytes > wantBytes:
		return "long body"
	}
	return ""
}

func transportErrorKind(msg string) string {
	for _, k := range []struct{ match, kind string }{
		{"Client.Timeout", "timeout"},
		{"deadline exceeded", "timeout"},
		{"i/o timeout", "timeout"},
		{"connection refused", "connection refused"},
		{"connection reset", "connection reset"},
		{"broken pipe", "connection reset"},
		{"no route to host", "no route to host"},
		{"network is unreachable", "network unreachable"},
		{"no such host", "no such host"},
		{"unexpected EOF", "short body"},
		{"EOF", "connection closed"},
		{"tls:", "tls"},
		{"x509:", "tls"},
		{"malformed HTTP", "malformed response"},
	} {
		if strings.Contains(msg, k.match) {
			return k.kind
		}
	}
	// Keep the last clause, without the URL, so kinds stay few.
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	if len(msg) > 60 {
		msg = msg[:60]
	}
	return "other: " + msg
}
