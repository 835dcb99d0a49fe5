package runner

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/meshes"
	"github.com/meshbench/meshbench/results"
)

// requireMeshes detects what the cluster runs, records it in the results, and
// fails at once — before anything is created — when a mesh asked for or the
// policy kind's engine is not there.
func (r *run) requireMeshes(ctx context.Context, facts *results.Cluster) error {
	d, err := meshes.Detect(ctx, r.c.Kube, r.c.Dynamic)
	if err != nil {
		return fmt.Errorf("detecting meshes: %w", err)
	}
	facts.CNI, facts.Meshes = describe(d)
	if d.Network != nil {
		facts.Network, facts.NetworkMTU, facts.NetworkCipher = d.Network.Name, d.Network.MTU, d.Network.Cipher
	}
	r.doc.Notes = append(r.doc.Notes, d.Notes...)
	for _, m := range r.cfg.Meshes {
		if err := d.Require(m); err != nil {
			return err
		}
	}
	if err := d.RequireShape(r.cfg.Plan.Kind, r.cfg.Plan.Shape); err != nil {
		return err
	}
	return d.RequirePolicyKind(r.cfg.Plan.Kind)
}

// checkEnrolled confirms that the run's pods in the current namespace are in
// mesh (or in none), so no step measures an unenrolled pod.
func (r *run) checkEnrolled(ctx context.Context, mesh meshes.Mesh) error {
	pods, err := r.c.Kube.CoreV1().Pods(r.ns).List(ctx, metav1.ListOptions{LabelSelector: cluster.RunSelector(r.cfg.RunID)})
	if err != nil {
		return err
	}
	if err := meshes.CheckEnrolled(ctx, r.c.Kube, pods.Items, mesh); err != nil {
		return fmt.Errorf("mesh %s: %w", mesh, err)
	}
	return nil
}

// describe names the policy engines and the meshes with their versions.
func describe(d meshes.Detected) (cni string, found map[string]string) {
	var engines []string
	for _, e := range d.PolicyEngines {
		engines = append(engines, versioned(e.Name, e.Version))
	}
	found = map[string]string{}
	for _, m := range []*meshes.Installation{d.Istio, d.Linkerd, d.Cilium} {
		if m != nil {
			found[m.Name] = versioned(m.Version, "")
		}
	}
	return strings.Join(engines, ", "), found
}

func versioned(name, version string) string {
	switch {
	case version != "" && name != "":
		return name + " " + version
	case name != "":
		return name
	}
	return "unknown version"
}
