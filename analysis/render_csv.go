package analysis

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// renderCSV writes every section's records (tidy data, for spreadsheets
// and plotting tools), each section with its own header, sections separated
// by a blank line. Empty fields mean "not applicable".
func renderCSV(w io.Writer, v View) error {
	for i, s := range v.Sections {
		if i > 0 {
			if _, err := io.WriteString(w, "\n"); err != nil {
				return err
			}
		}
		cw := csv.NewWriter(w)
		if err := cw.WriteAll(s.Records); err != nil {
			return err
		}
	}
	return nil
}

// records are one record per row and size: identity, summary in
// milliseconds, then the overhead against the baseline and the paired
// target-over-control difference by median and by mean.
func (t *Table) records() [][]string {
	header := append(slices.Clone(rowIdentityHeader),
		"size", "size_bytes", "reported", "flags", "n", "requests", "errors", "new_connections", "rate", "achieved_rate",
		"mean_ms", "stddev_ms", "min_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms")
	for _, kind := range []string{"overhead", "paired"} {
		for _, s := range []Statistic{Median, Mean} {
			p := kind + "_" + string(s) + "_"
			header = append(header, p+"diff_ms", p+"ci_low_ms", p+"ci_high_ms", p+"pct", p+"pct_ci_low", p+"pct_ci_high", p+"significant")
		}
	}
	recs := [][]string{header}
	for _, r := range t.Rows {
		for i := range r.Cells {
			c := &r.Cells[i]
			if c.Missing {
				continue
			}
			s := c.Summary
			errs := 0
			for _, n := range c.Errors {
				errs += n
			}
			rec := append(r.identity(),
				c.Size, strconv.FormatInt(t.Sizes[i].Bytes, 10), strconv.FormatBool(c.Reported()), strings.Join(c.Flags, ";"),
				strconv.Itoa(s.N), strconv.Itoa(c.Requests), strconv.Itoa(errs), strconv.FormatInt(c.NewConnections, 10),
				fnum(c.Rate), fnum(c.AchievedRate),
				msExact(s.Mean), msExact(s.Stddev), msExact(s.Min), msExact(s.P50), msExact(s.P90), msExact(s.P99), msExact(s.P999), msExact(s.Max))
			for _, o := range []*Overhead{c.Overhead, c.Paired} {
				for _, st := range []Statistic{Median, Mean} {
					rec = append(rec, diffFields(o, st)...)
				}
			}
			recs = append(recs, rec)
		}
	}
	return recs
}

func diffFields(o *Overhead, s Statistic) []string {
	if o == nil || !o.By(s).Valid() {
		return make([]string, 7)
	}
	d := o.By(s)
	return []string{msExact(d.Diff), msExact(d.CILow), msExact(d.CIHigh),
		fnum(d.Percent), fnum(d.PercentCILow), fnum(d.PercentCIHigh), strconv.FormatBool(d.Significant)}
}

// msExact is a duration in milliseconds to the nanosecond.
func msExact(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', -1, 64) }

func fnum(f float64) string { return strconv.FormatFloat(f, 'g', 10, 64) }
