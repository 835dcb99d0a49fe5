package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// runGenerate runs the command line and returns its exit code and stdout.
func runGenerate(t *testing.T, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		var b bytes.Buffer
		io.Copy(&b, r)
		done <- b.String()
	}()
	code := execute(context.Background(), append([]string{"generate"}, args...))
	w.Close()
	os.Stdout = old
	return code, <-done
}

func TestGenerateKubectlReadyYAML(t *testing.T) {
	cases := []struct {
		args []string
		objs int
	}{
		{[]string{"--kind", "networkpolicy", "--count", "10"}, 10},
		{[]string{"--kind", "networkpolicy", "--count", "0"}, 0},
		{[]string{"--kind", "networkpolicy", "--shape", "deny-all", "--count", "5"}, 6},
		{[]string{"--kind", "networkpolicy", "--shape", "ipblock", "--client-cidr", "10.244.0.5", "--count", "3"}, 3},
		{[]string{"--kind", "networkpolicy", "--shape", "ipblock", "--count", "3"}, 3},
		{[]string{"--kind", "cilium", "--shape", "l7", "--count", "4"}, 4},
		{[]string{"--kind", "istio", "--count", "4", "--mesh-objects"}, 5},
		{[]string{"--kind", "linkerd", "--count", "4"}, 9},
	}
	for _, c := range cases {
		code, out := runGenerate(t, append(c.args, "-n", "bench", "--run-id", "r7")...)
		if code != 0 {
			t.Errorf("%v: exit %d", c.args, code)
			continue
		}
		dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(out), 4096)
		n := 0
		for {
			var u unstructured.Unstructured
			if err := dec.Decode(&u.Object); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("%v: output is not YAML: %v", c.args, err)
			}
			if u.Object == nil {
				continue
			}
			n++
			if u.GetNamespace() != "bench" || u.GetLabels()["meshbench.io/run"] != "r7" || u.GetAPIVersion() == "" || u.GetKind() == "" {
				t.Errorf("%v: object %s/%s in %q labels %v", c.args, u.GetKind(), u.GetName(), u.GetNamespace(), u.GetLabels())
			}
		}
		if n != c.objs {
			t.Errorf("%v: %d objects; want %d", c.args, n, c.objs)
		}
	}
}

func TestGenerateBadInputExitsTwo(t *testing.T) {
	for _, args := range [][]string{
		{"--kind", "networkpolicy"}, // no --count
		{"--kind", "networkpolicy", "--count", "x"},
		{"--kind", "networkpolicy", "--count", "-3"},
		{"--kind", "calico", "--count", "3"},
		{"--kind", "linkerd", "--shape", "l7", "--count", "3"},
		{"--kind", "networkpolicy", "--shape", "ipblock", "--client-cidr", "10.0.0.0/33", "--count", "3"},
		{"--count", "3", "--port", "0x"},
		{"--count", "3", "--port", "70000"},
		{"--count", "3", "--port", "0"},
		{"--count", "3", "-n", "Not_A_Namespace"},
		{"--shape", "ports", "--count", "60000"},
		{"--count", "100002"},
		{"--count", "3", "stray-argument"},
	} {
		code, out := runGenerate(t, args...)
		if code != 2 || out != "" {
			t.Errorf("%v: exit %d, %d bytes of output; want exit 2 and nothing printed", args, code, len(out))
		}
	}
}
