package runner

import (
	"bytes"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/results"
)

// measure runs one client pod that alternates requests between the target
// and the control server, waits for it, and returns its cells.
func (r *run) measure(ctx context.Context, name, targetURL, controlURL string, finished func()) ([]results.Cell, error) {
	expected := r.cfg.Load.expected()
	args := append([]string{"load"}, r.cfg.Load.clientArgs(targetURL, controlURL)...)
	args = append(append(args, r.cfg.Measures.lingerArgs()...), r.cfg.Measures.settleArgs()...)
	doc, err := r.runClient(ctx, name, "latency", args, expected, expected, finished)
	if err != nil {
		return nil, err
	}
	return doc.Cells, nil
}

// runClient runs one client pod with the meshbench subcommand and arguments
// args, waits for it (its pod timeout beyond twice expected), and returns
// the results document it printed. Its notes join the run's. The progress
// bar advances through estimate labelled with the step and what is measured.
func (r *run) runClient(ctx context.Context, name, what string, args []string, expected, estimate time.Duration, finished func()) (*results.Document, error) {
	defer r.prog.measuring(r.step+": "+what, estimate)()
	pod := r.workload().ClientRunning(name, args)
	objs, err := cluster.ToUnstructured(pod)
	if err != nil {
		return nil, err
	}
	if err := r.c.Apply(ctx, objs, cluster.ApplyOptions{}); err != nil {
		return nil, err
	}
	// The pod goes once its results are read; the run's cleanup removes it
	// too if this returns early.
	defer func() {
		_ = r.c.Kube.CoreV1().Pods(r.ns).Delete(context.WithoutCancel(ctx), name, metav1.DeleteOptions{})
	}()
	done, err := r.c.WaitPodDone(ctx, r.ns, name, r.cfg.PodTimeout+2*expected)
	if err != nil {
		return nil, err
	}
	if finished != nil {
		finished()
	}
	logs, err := r.c.Logs(ctx, r.ns, name, 0)
	if err != nil {
		return nil, err
	}
	if done.Status.Phase != corev1.PodSucceeded {
		return nil, fmt.Errorf("client pod %s failed: %s", name, lastLines(logs, 5))
	}
	doc, err := parseClientOutput(logs)
	if err != nil {
		return nil, fmt.Errorf("client pod %s: %w", name, err)
	}
	r.doc.Notes = append(r.doc.Notes, doc.Notes...)
	for i := range doc.Cells {
		doc.Cells[i].ClientNode = done.Spec.NodeName
	}
	// The document's host is the machine the client measured from: the
	// client pod's node, not the machine that ran `meshbench run`.
	r.doc.Host = doc.Host
	return doc, nil
}

// parseClientOutput finds the results document in a client pod's log: the
// log may interleave stderr lines before it, so decoding starts at the first
// line that opens a JSON object.
func parseClientOutput(logs []byte) (*results.Document, error) {
	i := bytes.Index(logs, []byte("\n{"))
	if bytes.HasPrefix(logs, []byte("{")) {
		i = 0
	} else if i >= 0 {
		i++
	} else {
		return nil, fmt.Errorf("no results document in its output: %s", lastLines(logs, 5))
	}
	return results.ReadPrefix(bytes.NewReader(logs[i:]))
}

// lastLines returns the last n lines of b, for error messages.
func lastLines(b []byte, n int) string {
	lines := bytes.Split(bytes.TrimSpace(b), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
