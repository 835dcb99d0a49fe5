package analysis

import "context"

// Defaults of a comparison.
const (
	DefaultResamples = 2000
	// MaxResamples caps the resamples of a comparison. Every cell of a
	// table keeps its replicates (8 bytes each, two statistics) until the
	// table is done: at the cap a table of 100 cells holds 160 MB, and its
	// intervals are as precise as the samples allow long before.
	MaxResamples      = 100_000
	DefaultConfidence = 0.95
	// DefaultSeed makes reports reproducible: the same file renders the same
	// intervals every time. WithSeed picks another stream.
	DefaultSeed uint64 = 0x6d657368 // "mesh"
)

// Option tunes a comparison.
type Option func(*options)

type options struct {
	resamples  int
	confidence float64
	seed       uint64
	// ctx stops the resampling when cancelled (Ctrl-C); nil never does.
	ctx context.Context
}

func newOptions(opts []Option) options {
	o := options{resamples: DefaultResamples, confidence: DefaultConfidence, seed: DefaultSeed}
	for _, f := range opts {
		f(&o)
	}
	if o.resamples < 1 {
		o.resamples = DefaultResamples
	}
	o.resamples = min(o.resamples, MaxResamples)
	if !(o.confidence > 0 && o.confidence < 1) {
		o.confidence = DefaultConfidence
	}
	return o
}

// WithResamples sets the number of bootstrap resamples (default 2,000; values
// below 1 keep the default, values above MaxResamples are capped to it).
func WithResamples(n int) Option { return func(o *options) { o.resamples = n } }

// WithConfidence sets the confidence level of the interval, e.g. 0.95 (the
// default) or 0.99; values outside (0, 1) keep the default.
func WithConfidence(c float64) Option { return func(o *options) { o.confidence = c } }

// WithSeed sets the seed of the bootstrap's random stream. The same seed and
// samples give the same interval.
func WithSeed(s uint64) Option { return func(o *options) { o.seed = s } }

// WithContext stops the bootstrap when ctx is done: the comparisons left
// come back invalid (no samples counted), so a caller that sees ctx done
// must not show them. A report of large documents takes seconds to
// minutes of resampling, and Ctrl-C must stop it at once.
func WithContext(ctx context.Context) Option { return func(o *options) { o.ctx = ctx } }

// cancelled reports whether o's context is done.
func (o options) cancelled() bool { return o.ctx != nil && o.ctx.Err() != nil }
