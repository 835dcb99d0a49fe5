package results

import (
	"bufio"
	"io"
)

// indentWriter indents compact JSON as it streams through, byte for byte
// as json.Indent(dst, src, "", indent) would. Document.Write encodes
// compactly through it: json.Encoder's SetIndent keeps the compact and the
// indented encoding in memory at once, which for a run of 1,000,000 samples
// is 30–40 MiB on top of the samples themselves.
type indentWriter struct {
	w        *bufio.Writer
	indent   string
	depth    int
	inString bool
	escaped  bool
	// needIndent is set after '{' or '[': the newline is written only if
	// the object or array turns out not to be empty.
	needIndent bool
}

func newIndentWriter(w io.Writer, indent string) *indentWriter {
	return &indentWriter{w: bufio.NewWriterSize(w, 64<<10), indent: indent}
}

func (iw *indentWriter) newline() {
	iw.w.WriteByte('\n')
	for range iw.depth {
		iw.w.WriteString(iw.indent)
	}
}

func (iw *indentWriter) Write(p []byte) (int, error) {
	for _, c := range p {
		if iw.inString {
			iw.w.WriteByte(c)
			switch {
			case iw.escaped:
				iw.escaped = false
			case c == '\\':
				iw.escaped = true
			case c == '"':
				iw.inString = false
			}
			continue
		}
		if iw.needIndent && c != '}' && c != ']' && c != '\n' {
			iw.needIndent = false
			iw.depth++
			iw.newline()
		}
		switch c {
		case '"':
			iw.inString = true
			iw.w.WriteByte(c)
		case '{', '[':
			iw.w.WriteByte(c)
			iw.needIndent = true
		case ',':
			iw.w.WriteByte(c)
			iw.newline()
		case ':':
			iw.w.WriteString(": ")
		case '}', ']':
			if iw.needIndent {
				iw.needIndent = false // empty: "{}" or "[]"
			} else {
				iw.depth--
				iw.newline()
			}
			iw.w.WriteByte(c)
		default:
			iw.w.WriteByte(c)
		}
	}
	return len(p), nil
}

// Flush writes what is buffered.
func (iw *indentWriter) Flush() error { return iw.w.Flush() }
