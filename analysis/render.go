package analysis

import (
	"fmt"
	"io"
	"strings"
)

// Format is an output format of a table.
type Format string

const (
	FormatTable    Format = "table"
	FormatMarkdown Format = "markdown"
	FormatCSV      Format = "csv"
	FormatJSON     Format = "json"
	FormatHTML     Format = "html"
)

// Formats lists every output format, for flag help.
var Formats = []Format{FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatHTML}

// ParseFormat accepts a format name ("md" for markdown).
func ParseFormat(s string) (Format, bool) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatMarkdown, FormatCSV, FormatJSON, FormatHTML:
		return f, true
	case "md":
		return FormatMarkdown, true
	}
	return "", false
}

// RenderReport writes r in format f. Every format but JSON is a reporter
// over the report's one View; JSON is the report model. HTML draws the
// figures too, as r.Plot asks.
func RenderReport(w io.Writer, r *Report, f Format) error {
	switch f {
	case FormatTable, "":
		return renderText(w, r.View())
	case FormatMarkdown:
		return renderMarkdown(w, r.View())
	case FormatCSV:
		return renderCSV(w, r.View())
	case FormatJSON:
		return renderJSON(w, r)
	case FormatHTML:
		return renderHTML(w, r, r.View())
	}
	return fmt.Errorf("unknown format %q", f)
}
