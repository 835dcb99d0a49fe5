package loadgen

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// sizeUnits maps a lower-case unit (with any trailing "b" removed) to its
// multiplier. k, m, g are SI (powers of 1000); ki, mi, gi are IEC (powers
// of 1024), so both spellings users meet are accepted with their usual
// meaning.
var sizeUnits = map[string]int64{
	"":   1,
	"k":  1000,
	"m":  1000 * 1000,
	"g":  1000 * 1000 * 1000,
	"ki": 1 << 10,
	"mi": 1 << 20,
	"gi": 1 << 30,
}

// sizeForm is the accepted form, quoted in every parse error.
const sizeForm = "want bytes as a number with an optional unit k, M, G (1000-based) or Ki, Mi, Gi (1024-based), e.g. 512, .5k, 1M, 1Mi"

// ParseSize parses a size such as 512, .5k, 0.5k, 10k, 1M, 1Mi, 1KiB or
// 1kB into bytes. k, M, G are powers of 1000; Ki, Mi, Gi powers of 1024.
// Units are case-insensitive and may end in B. The result must be a whole,
// non-negative number of bytes that fits an int64.
func ParseSize(s string) (int64, error) {
	in := strings.TrimSpace(s)
	if in == "" {
		return 0, errors.New("empty size: " + sizeForm)
	}
	if len(in) > 64 {
		return 0, fmt.Errorf("size %.20q... is too long: %s", s, sizeForm)
	}
	if in[0] == '-' {
		return 0, fmt.Errorf("size %q is negative: %s", s, sizeForm)
	}
	// Split the number (digits and at most one '.') from the unit.
	i, dot, digits := numberEnd(in)
	if digits == 0 {
		return 0, fmt.Errorf("size %q: %s", s, sizeForm)
	}
	num, u := in[:i], strings.ToLower(strings.TrimSpace(in[i:]))
	if u != "b" {
		u = strings.TrimSuffix(u, "b")
	} else {
		u = ""
	}
	mult, ok := sizeUnits[u]
	if !ok {
		return 0, fmt.Errorf("size %q has an unknown unit %q: %s", s, in[i:], sizeForm)
	}
	// Exact arithmetic: mantissa * mult / 10^fractionDigits.
	frac := 0
	if dot >= 0 {
		frac = len(num) - dot - 1
		num = num[:dot] + num[dot+1:]
	}
	m, ok := new(big.Int).SetString(num, 10)
	if !ok {
		return 0, fmt.Errorf("size %q: %s", s, sizeForm)
	}
	m.Mul(m, big.NewInt(mult))
	den := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(frac)), nil)
	q, r := new(big.Int).QuoRem(m, den, new(big.Int))
	if r.Sign() != 0 {
		return 0, fmt.Errorf("size %q is not a whole number of bytes: %s", s, sizeForm)
	}
	if !q.IsInt64() {
		return 0, fmt.Errorf("size %q is too large (at most %d bytes)", s, int64(math.MaxInt64))
	}
	return q.Int64(), nil
}

// formatUnits are tried from the largest; SI before IEC at equal rank.
var formatUnits = []struct {
	name string
	mult int64
}{
	{"G", 1000 * 1000 * 1000}, {"Gi", 1 << 30},
	{"M", 1000 * 1000}, {"Mi", 1 << 20},
	{"k", 1000}, {"Ki", 1 << 10},
}

// FormatSize writes n bytes in the shortest form ParseSize reads back to
// exactly n: 500 → "500", 1000 → "1k", 1024 → "1Ki", 1500 → "1.5k",
// 1048576 → "1Mi". A fraction is used only when exact in three decimals.
func FormatSize(n int64) string {
	best := strconv.FormatInt(n, 10)
	if n <= 0 {
		return best
	}
	for _, u := range formatUnits {
		if n < u.mult {
			continue
		}
		whole, rest := n/u.mult, n%u.mult
		var s string
		switch {
		case rest == 0:
			s = strconv.FormatInt(whole, 10) + u.name
		default:
			// rest/mult must be exact in at most three decimals.
			scaled := new(big.Int).Mul(big.NewInt(rest), big.NewInt(1000))
			q, r := new(big.Int).QuoRem(scaled, big.NewInt(u.mult), new(big.Int))
			if r.Sign() != 0 {
				continue
			}
			f := strings.TrimRight(fmt.Sprintf("%03d", q.Int64()), "0")
			s = strconv.FormatInt(whole, 10) + "." + f + u.name
		}
		if len(s) < len(best) {
			best = s
		}
	}
	return best
}

// numberEnd returns where the leading decimal number of s ends, the index of
// its '.' (-1 if none) and how many digits it has.
func numberEnd(s string) (end, dot, digits int) {
	dot = -1
	for end = 0; end < len(s); end++ {
		switch c := s[end]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && dot < 0:
			dot = end
		default:
			return end, dot, digits
		}
	}
	return end, dot, digits
}
