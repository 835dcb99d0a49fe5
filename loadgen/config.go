package loadgen

import (
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults follow the Romana study: 2,000 requests per size, one new TCP
// connection per request, a fixed rate well below saturation.
const (
	DefaultRequests = 2000
	DefaultRate     = 100 // requests per second per target
	DefaultTimeout  = 10 * time.Second
	DefaultWarmup   = 20
	DefaultRounds   = 1
	// MaxRate is the highest rate per target a client is asked for: one
	// new connection per request at a million a second is beyond any
	// machine's connection rate, so more is a typo.
	MaxRate = 1_000_000
)

// DefaultSizes are the Romana study's response sizes.
var DefaultSizes = []string{".5k", "1k", "10k", "100k", "1M"}

// Target is one server the load alternates between.
type Target struct {
	// Name labels the target's cells (results.Cell.Arm), e.g. "target", "control", "A".
	Name string
	// URL is where requests go; each request adds the query parameter
	// size=<bytes> to it, which meshbench serve answers on any path.
	URL string
}

// Size is a response size with the label the user wrote.
type Size struct {
	Label string
	Bytes int64
}

// Config is one load run.
type Config struct {
	// Targets alternate request by request in the same window.
	Targets []Target
	// Sizes are measured in turn; within a round every target sees every size.
	Sizes []Size
	// Requests is the number of measured requests per target and size.
	Requests int
	// Rate is the requests per second sent to each target; all targets
	// together get Rate × len(Targets).
	Rate float64
	// Warmup is the number of requests per target sent before measuring and discarded.
	Warmup int
	// Rounds splits each (target, size) cell's requests into rounds; the
	// order of the sizes rotates from round to round so drift hits all alike.
	Rounds int
	// KeepAlive reuses connections; off (the default) opens one new TCP
	// connection per request.
	KeepAlive bool
	// Timeout bounds each request, dial to last body byte.
	Timeout time.Duration
	// Progress, when set, receives a live progress bar (meant for a terminal).
	Progress io.Writer
	// Log, when set, receives one line per finished window (meant for logs).
	Log io.Writer
}

// ParseSizes parses sizes such as ".5k,1k,10k" (a comma-separated list is
// also accepted inside each element).
func ParseSizes(specs []string) ([]Size, error) {
	var out []Size
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			n, err := ParseSize(s)
			if err != nil {
				return nil, err
			}
			out = append(out, Size{Label: s, Bytes: n})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("no sizes: " + sizeForm)
	}
	return out, nil
}

// ParseTarget parses "[NAME=]URL"; an unnamed target gets def as its name.
func ParseTarget(spec, def string) (Target, error) {
	name, raw := def, spec
	if i := strings.Index(spec, "="); i >= 0 && !strings.Contains(spec[:i], "/") && !strings.Contains(spec[:i], ":") {
		name, raw = spec[:i], spec[i+1:]
	}
	if name == "" {
		return Target{}, fmt.Errorf("%q: the name before '=' is empty; want [NAME=]URL, e.g. control=http://10.0.0.2:8080", spec)
	}
	if err := CheckURL(raw); err != nil {
		return Target{}, fmt.Errorf("%q: %v; want [NAME=]URL, e.g. http://127.0.0.1:8080", spec, err)
	}
	return Target{Name: name, URL: raw}, nil
}

// CheckURL says what is wrong with raw as a URL to send requests to: it
// must be http or https, name a host and, if it gives a port, a TCP port.
func CheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return errors.New("the URL must start with http:// or https://")
	}
	if u.Host == "" || u.Hostname() == "" {
		return errors.New("the URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %s is not a TCP port 1..65535", p)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return errors.New("the URL has an empty port")
	}
	return nil
}

// ConfigError is a Config that cannot run; Field names the setting at
// fault as a flag name would ("rate", "requests", ...).
type ConfigError struct {
	Field string
	Msg   string
}

func (e *ConfigError) Error() string { return e.Field + ": " + e.Msg }

// withDefaults fills zero settings and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Rounds == 0 {
		c.Rounds = DefaultRounds
	}
	if len(c.Sizes) == 0 {
		c.Sizes, _ = ParseSizes(DefaultSizes)
	}
	cells := len(c.Targets) * len(c.Sizes)
	switch {
	case len(c.Targets) == 0:
		return c, &ConfigError{"target", "no target; want at least one [NAME=]URL"}
	case c.Requests <= 0:
		return c, &ConfigError{"requests", fmt.Sprintf("%d: want a positive number of requests per target and size", c.Requests)}
	case c.Requests > MaxSamples(cells):
		return c, &ConfigError{"requests", fmt.Sprintf("%d: want a number of requests per target and size %s", c.Requests, SampleLimit(cells))}
	case !(c.Rate > 0) || c.Rate > MaxRate:
		return c, &ConfigError{"rate", fmt.Sprintf("%s: want requests per second per target above 0 and at most %d, e.g. 100", strconv.FormatFloat(c.Rate, 'f', -1, 64), MaxRate)}
	case c.Warmup < 0 || c.Warmup > MaxSamples(1):
		return c, &ConfigError{"warmup", fmt.Sprintf("%d: want 0 to %d requests per target", c.Warmup, MaxSamples(1))}
	case c.Rounds < 0 || c.Rounds > c.Requests:
		return c, &ConfigError{"rounds", fmt.Sprintf("%d: want 1..requests (%d)", c.Rounds, c.Requests)}
	case c.Timeout < 0:
		return c, &ConfigError{"timeout", fmt.Sprintf("%v: want a positive duration, e.g. 10s", c.Timeout)}
	}
	seen := map[string]bool{}
	for _, t := range c.Targets {
		if err := CheckURL(t.URL); err != nil {
			return c, &ConfigError{"target", fmt.Sprintf("%q: %v", t.URL, err)}
		}
		if t.Name == "" || seen[t.Name] {
			return c, &ConfigError{"target", fmt.Sprintf("name %q of %s: want a unique, non-empty name", t.Name, t.URL)}
		}
		seen[t.Name] = true
	}
	for _, s := range c.Sizes {
		if s.Bytes < 0 || s.Bytes > MaxServedSize {
			return c, &ConfigError{"sizes", fmt.Sprintf("%s: want 0..%s", s.Label, FormatSize(MaxServedSize))}
		}
	}
	return c, nil
}

// Validate reports the first setting of c that cannot run, as a
// *ConfigError; zero settings that have defaults are fine.
func (c Config) Validate() error {
	_, err := c.withDefaults()
	return err
}

// ValidateFlags is Validate for settings a user typed: there a zero
// timeout or number of rounds is a mistake, not a request for the default.
// load and run check their flags with it, so both say the same.
func (c Config) ValidateFlags() error {
	if c.Timeout <= 0 {
		return &ConfigError{"timeout", fmt.Sprintf("%v: want a positive duration, e.g. 10s", c.Timeout)}
	}
	if c.Rounds <= 0 {
		return &ConfigError{"rounds", fmt.Sprintf("%d: want a positive number of rounds, e.g. 3", c.Rounds)}
	}
	return c.Validate()
}

// FlagMessage is the error as one line that starts with the flag, e.g.
// "--rate NaN: want ...".
func (e *ConfigError) FlagMessage() string { return "--" + e.Field + " " + e.Msg }
