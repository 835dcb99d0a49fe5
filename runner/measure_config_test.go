package runner

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/policies"
)

func TestMeasuresParseAndValidate(t *testing.T) {
	m := DefaultMeasures()
	if err := m.Parse("throughput, rtt,cpu"); err != nil || m.Latency || !m.Throughput || !m.RTT || !m.CPU || m.Validate() != nil {
		t.Errorf("throughput,rtt,cpu: %+v, %v, %v", m, err, m.Validate())
	}
	if m.String() != "throughput,rtt,cpu" {
		t.Errorf("String() = %q", m.String())
	}
	for _, bad := range []string{"latency,bogus", "", "throughput,,rtt"} {
		if err := m.Parse(bad); err == nil || !strings.HasPrefix(err.Error(), "--measure") {
			t.Errorf("--measure %q: %v, want an error naming --measure", bad, err)
		}
	}
	for list, flag := range map[string]string{"cpu": "--measure", "latency,cpu": "--measure"} {
		m := DefaultMeasures()
		if err := m.Parse(list); err != nil {
			t.Fatal(err)
		}
		if err := m.Validate(); err == nil || !strings.HasPrefix(err.Error(), flag) {
			t.Errorf("%s: %v, want an error naming %s", list, err, flag)
		}
	}
	m = DefaultMeasures()
	m.Throughput, m.Streams = true, []int{1, 0}
	if err := m.Validate(); err == nil || !strings.HasPrefix(err.Error(), "--streams") {
		t.Errorf("streams 1,0: %v", err)
	}
}

// The allowing policy of every kind that governs ports admits the stream
// port beside the HTTP port; the decoys are left as they are.
func TestAdmitStreamPort(t *testing.T) {
	for _, kind := range []policies.Kind{policies.NetworkPolicy, policies.Cilium, policies.Istio} {
		plan := generators.Plan{Kind: kind, Steps: []int{0, 3}, Namespace: "ns", RunID: "r", Port: 8080}
		objs, err := plan.Objects(3)
		if err != nil {
			t.Fatal(err)
		}
		before := make([]*unstructured.Unstructured, len(objs))
		for i, u := range objs {
			before[i] = u.DeepCopy()
		}
		admitStreamPort(objs)
		allows := 0
		for i, u := range objs {
			y := mustJSON(t, u)
			if u.GetLabels()[policies.LabelPolicy] == policies.PolicyAllow {
				allows++
				if !strings.Contains(y, "5201") || !strings.Contains(y, "8080") {
					t.Errorf("%s allow %s: %s; want ports 8080 and 5201", kind, u.GetName(), y)
				}
				if mustJSON(t, before[i]) == y || strings.Contains(mustJSON(t, before[i]), "5201") {
					t.Errorf("%s: the allowing policy did not change, or had 5201 before", kind)
				}
			} else if mustJSON(t, before[i]) != y {
				t.Errorf("%s: %s changed although it is not the allowing policy", kind, u.GetName())
			}
		}
		if allows == 0 {
			t.Errorf("%s: no allowing policy at step 3", kind)
		}
	}
}

func mustJSON(t *testing.T, u *unstructured.Unstructured) string {
	t.Helper()
	b, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
