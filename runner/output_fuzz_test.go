package runner

import "testing"

// FuzzParseClientOutput: whatever a client pod logs, finding its document
// does not panic, and a document found is valid.
func FuzzParseClientOutput(f *testing.F) {
	f.Add([]byte("warming up\n{\"kind\":\"meshbench.io/results\",\"schemaVersion\":1,\"cells\":[]}\nsummary\n"))
	f.Add([]byte("{\"kind\":\"meshbench.io/results\",\"schemaVersion\":1}"))
	f.Add([]byte("panic: boom\n"))
	f.Add([]byte("\n{"))
	f.Fuzz(func(t *testing.T, logs []byte) {
		doc, err := parseClientOutput(logs)
		if err == nil {
			if err := doc.Validate(); err != nil {
				t.Fatalf("found an invalid document: %v", err)
			}
		}
		parseAttempts(logs)
	})
}

// FuzzParseMeasures: no panic; a list Parse accepts renders back to one it
// parses the same.
func FuzzParseMeasures(f *testing.F) {
	for _, s := range []string{"latency", "latency,throughput,rtt,cpu", " rtt , cpu", "bogus", "", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var m Measures
		if m.Parse(s) != nil {
			return
		}
		var back Measures
		if err := back.Parse(m.String()); m.String() != "" && (err != nil || back.String() != m.String()) {
			t.Fatalf("Parse(%q) = %q, which parses as %q (%v)", s, m.String(), back.String(), err)
		}
	})
}
