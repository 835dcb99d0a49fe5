package results

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

// TestWriteMatchesEncodingJSON checks that the streaming indentation gives
// exactly what encoding/json's indenting encoder gives.
func TestWriteMatchesEncodingJSON(t *testing.T) {
	d := New()
	d.Command = []string{"meshbench", "load", `--target=a="b"`, `{[,:]}`, `back\slash\"`, "日本"}
	d.Flags = map[string]string{"sizes": ".5k,1k", "empty": ""}
	d.Notes = []string{}
	d.Load = Load{Rate: 100, Requests: 2000, Timeout: 10 * time.Second, Sizes: []string{".5k"}}
	d.Cells = []Cell{
		{Arm: "A", Size: 500, SizeLabel: ".5k", Latency: &Latency{SamplesNs: []int64{1, 2, 3}, Errors: map[string]int{"status 500": 2}, NewConnections: -1}},
		{Arm: "B", Latency: &Latency{SamplesNs: []int64{}}},
		{Arm: "C"},
	}
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetIndent("", " ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := d.Write(&got); err != nil {
		t.Fatal(err)
	}
	if got.String() != want.String() {
		t.Errorf("Write differs from encoding/json:\n got: %s\nwant: %s", got.String(), want.String())
	}
	back, err := Read(&got)
	if err != nil || len(back.Cells) != 3 || back.Cells[0].Latency.SamplesNs[2] != 3 {
		t.Errorf("Read(Write(d)) = %v, %v", back, err)
	}
}

// FuzzIndentWriter checks the indentation against json.Indent on any valid JSON.
func FuzzIndentWriter(f *testing.F) {
	for _, s := range []string{`{}`, `[]`, `{"a":[1,2,{}],"b":"x\"y"}`, `[[],[[]],{"":{}}]`, `"a\\"`, `{"k":"{[,:]}"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var compact bytes.Buffer
		if json.Compact(&compact, []byte(s)) != nil {
			return
		}
		var want bytes.Buffer
		json.Indent(&want, compact.Bytes(), "", " ")
		var got bytes.Buffer
		iw := newIndentWriter(&got, " ")
		iw.Write(compact.Bytes())
		iw.Flush()
		if got.String() != want.String() {
			t.Fatalf("indent of %q:\n got %q\nwant %q", compact.String(), got.String(), want.String())
		}
	})
}
