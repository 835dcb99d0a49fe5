package results

import (
	"bytes"
	"testing"
)

// FuzzRead: whatever the bytes, Read does not panic, and a document it
// accepts is valid and reads back the same after being written again.
func FuzzRead(f *testing.F) {
	var valid bytes.Buffer
	validDocument().Write(&valid)
	f.Add(valid.Bytes())
	f.Add(append(append([]byte{}, valid.Bytes()...), valid.Bytes()...))
	f.Add(append(append([]byte{}, valid.Bytes()...), "x"...))
	f.Add([]byte(`{"kind":"meshbench.io/results","schemaVersion":1,"cells":[{"step":"0","arm":"target","size":1,"latency":{"samplesNs":[-5]}}]}`))
	f.Add([]byte(`{"kind":"meshbench.io/results","schemaVersion":1,"load":{"rate":-1}}`))
	f.Add([]byte(`{"kind":"meshbench.io/results","schemaVersion":2}`))
	f.Add([]byte(`{"kind":"other"}`))
	f.Add([]byte(`[]`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Read(bytes.NewReader(b))
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("Read accepted an invalid document: %v", err)
		}
		var again bytes.Buffer
		if err := d.Write(&again); err != nil {
			t.Fatal(err)
		}
		d2, err := Read(&again)
		if err != nil || len(d2.Cells) != len(d.Cells) {
			t.Fatalf("written again and read back: %v, %d cells of %d", err, len(d2.Cells), len(d.Cells))
		}
	})
}
