package results

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// validDocument is a document with one target and one control cell.
func validDocument() *Document {
	d := New()
	d.Load = Load{Rate: 100, Requests: 3, Rounds: 1}
	for _, arm := range []string{ArmTarget, ArmControl} {
		d.Cells = append(d.Cells, Cell{Step: "0", Arm: arm, Size: 1000, SizeLabel: "1k",
			Latency: &Latency{SamplesNs: []int64{500_000, 600_000, 700_000}, Requests: 3, NewConnections: 3, Rate: 100, AchievedRate: 100}})
	}
	return d
}

func encode(t *testing.T, d *Document) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := d.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestReadRefusesDocumentsNoMeasurementProduces(t *testing.T) {
	if _, err := Read(bytes.NewReader(encode(t, validDocument()))); err != nil {
		t.Fatalf("a valid document: %v", err)
	}
	for name, c := range map[string]struct {
		change func(*Document)
		want   string
	}{
		"negative sample":       {func(d *Document) { d.Cells[0].Latency.SamplesNs[1] = -5 }, "sample 2"},
		"int64-max sample":      {func(d *Document) { d.Cells[0].Latency.SamplesNs[0] = math.MaxInt64 }, "sample 1"},
		"negative rtt sample":   {func(d *Document) { d.Cells[0].RTT = &RTT{Mode: "rr", SamplesNs: []int64{-1}} }, "rtt sample"},
		"negative load rate":    {func(d *Document) { d.Load.Rate = -5 }, "rate"},
		"negative load request": {func(d *Document) { d.Load.Requests = -5 }, "requests"},
		"negative cell rate":    {func(d *Document) { d.Cells[1].Latency.Rate = -5 }, "rate"},
		"negative requests":     {func(d *Document) { d.Cells[1].Latency.Requests = -5 }, "requests"},
		"negative errors":       {func(d *Document) { d.Cells[1].Latency.Errors = map[string]int{"timeout": -1} }, "timeout"},
		"negative throughput":   {func(d *Document) { d.Cells[0].Throughput = &Throughput{Parallel: 1, Bytes: -1} }, "throughput"},
		"duplicate cell": {func(d *Document) {
			c := d.Cells[0]
			d.Cells = append(d.Cells, c)
		}, "cell 3"},
	} {
		d := validDocument()
		c.change(d)
		_, err := Read(bytes.NewReader(encode(t, d)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Read error %v; want one naming %s", name, err, c.want)
		}
	}
}

// The same arm and size at another step, mesh or in another measurement
// is no duplicate.
func TestReadAcceptsDistinctCellsAlike(t *testing.T) {
	d := validDocument()
	c := d.Cells[0]
	c.Step = "10"
	d.Cells = append(d.Cells, c)
	c.Mesh = "linkerd"
	d.Cells = append(d.Cells, c)
	c.Latency = nil
	c.Throughput = &Throughput{Parallel: 1, Direction: "send"}
	d.Cells = append(d.Cells, c)
	c.Throughput = &Throughput{Parallel: 4, Direction: "send"}
	d.Cells = append(d.Cells, c)
	if _, err := Read(bytes.NewReader(encode(t, d))); err != nil {
		t.Fatal(err)
	}
}

func TestReadRefusesDataAfterTheDocument(t *testing.T) {
	one := encode(t, validDocument())
	for name, b := range map[string][]byte{
		"two documents": append(append([]byte{}, one...), one...),
		"trailing text": append(append([]byte{}, one...), "trailing\n"...),
		"a stray brace": append(append([]byte{}, one...), "}"...),
	} {
		if _, err := Read(bytes.NewReader(b)); err == nil || !strings.Contains(err.Error(), "after the document") {
			t.Errorf("%s: Read error %v; want one about data after the document", name, err)
		}
	}
	if _, err := Read(bytes.NewReader(append(one, "\n\n  \n"...))); err != nil {
		t.Errorf("trailing white space: %v", err)
	}
	if _, err := ReadPrefix(bytes.NewReader(append(one, "target  size  p50\n"...))); err != nil {
		t.Errorf("ReadPrefix with a log line after the document: %v", err)
	}
}
