package generators

import (
	"io"
	"testing"

	"github.com/meshbench/meshbench/policies"
)

// BenchmarkObjects renders the 10,000 policies of a large step, per kind.
func BenchmarkObjects(b *testing.B) {
	for _, k := range policies.Kinds() {
		b.Run(string(k), func(b *testing.B) {
			p := Plan{Kind: k, Steps: []int{10000}, Namespace: "bench", RunID: "r"}
			for b.Loop() {
				objs, err := p.Objects(10000)
				if err != nil || len(objs) < 10000 {
					b.Fatal(len(objs), err)
				}
			}
			b.ReportMetric(float64(b.N)*10000/b.Elapsed().Seconds(), "policies/s")
		})
	}
}

// BenchmarkDiff compares the steps 5,000 and 10,000.
func BenchmarkDiff(b *testing.B) {
	p := Plan{Kind: policies.NetworkPolicy, Steps: []int{5000, 10000}, Namespace: "bench", RunID: "r"}
	prev, _ := p.Objects(5000)
	next, _ := p.Objects(10000)
	for b.Loop() {
		if apply, _ := Diff(prev, next); len(apply) != 5000 {
			b.Fatal(len(apply))
		}
	}
}

// BenchmarkWriteYAML is `meshbench generate --count 10000` without the shell.
func BenchmarkWriteYAML(b *testing.B) {
	p := Plan{Kind: policies.NetworkPolicy, Steps: []int{10000}, Namespace: "bench", RunID: "r"}
	objs, _ := p.Objects(10000)
	for b.Loop() {
		if err := WriteYAML(io.Discard, objs); err != nil {
			b.Fatal(err)
		}
	}
}
