// Package analysis turns the raw latency samples of a results document into
// the numbers meshbench reports: per-cell summaries with exact percentiles,
// the overhead of every step against a baseline with bootstrap confidence
// intervals, and tables rendered for a terminal, markdown, csv or json.
//
// Every reported number is computed from the raw samples; nothing is
// estimated from a sketch. A difference is called significant only when its
// 95% confidence interval excludes zero.
package analysis
