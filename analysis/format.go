package analysis

import "strconv"

// trimFloat formats f without trailing zeros: 99 → "99", 99.9 → "99.9".
func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
