package analysis

// Defaults of a comparison.
const (
	DefaultResamples  = 2000
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
}

func newOptions(opts []Option) options {
	o := options{resamples: DefaultResamples, confidence: DefaultConfidence, seed: DefaultSeed}
	for _, f := range opts {
		f(&o)
	}
	if o.resamples < 1 {
		o.resamples = DefaultResamples
	}
	if !(o.confidence > 0 && o.confidence < 1) {
		o.confidence = DefaultConfidence
	}
	return o
}

// WithResamples sets the number of bootstrap resamples (default 2,000; values
// below 1 keep the default).
func WithResamples(n int) Option { return func(o *options) { o.resamples = n } }

// WithConfidence sets the confidence level of the interval, e.g. 0.95 (the
// default) or 0.99; values outside (0, 1) keep the default.
func WithConfidence(c float64) Option { return func(o *options) { o.confidence = c } }

// WithSeed sets the seed of the bootstrap's random stream. The same seed and
// samples give the same interval.
func WithSeed(s uint64) Option { return func(o *options) { o.seed = s } }
