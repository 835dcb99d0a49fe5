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
)

// Formats lists every output format, for flag help.
var Formats = []Format{FormatTable, FormatMarkdown, FormatCSV, FormatJSON}

// ParseFormat accepts a format name ("md" for markdown).
func ParseFormat(s string) (Format, bool) {
	switch f := Format(strings.ToLower(s)); f {
	case FormatTable, FormatMarkdown, FormatCSV, FormatJSON:
		return f, true
	case "md":
		return FormatMarkdown, true
	}
	return "", false
}

// Render writes t in format f.
func Render(w io.Writer, t *Table, f Format) error {
	switch f {
	case FormatTable, "":
		return renderText(w, t)
	case FormatMarkdown:
		return renderMarkdown(w, t)
	case FormatCSV:
		return renderCSV(w, t)
	case FormatJSON:
		return renderJSON(w, t)
	}
	return fmt.Errorf("unknown format %q", f)
}
