package cluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/labels"
)

// Labels every object meshbench creates carries. meshbench never changes or
// deletes an object without LabelManagedBy=ManagedByValue.
const (
	LabelManagedBy = "app.kubernetes.io/managed-by"
	ManagedByValue = "meshbench"
	LabelRun       = "meshbench.io/run"
	LabelRole      = "meshbench.io/role"
	FieldManager   = "meshbench"
)

// Pod roles (LabelRole). Policies select RoleServer and admit RoleClient;
// nothing selects RoleControl; nothing admits RoleProbe.
const (
	RoleServer  = "server"
	RoleControl = "control"
	RoleClient  = "client"
	RoleProbe   = "probe"
)

// RunLabels are the labels of every object of run id.
func RunLabels(runID string) map[string]string {
	return map[string]string{LabelManagedBy: ManagedByValue, LabelRun: runID}
}

// RunSelector selects the objects of run id, or of every run when id is empty.
func RunSelector(runID string) string {
	sel := labels.Set{LabelManagedBy: ManagedByValue}
	if runID != "" {
		sel[LabelRun] = runID
	}
	return labels.SelectorFromSet(sel).String()
}

// ownedBy reports whether an object's labels mark it as meshbench's (of run
// id, when id is not empty).
func ownedBy(l map[string]string, runID string) bool {
	if l[LabelManagedBy] != ManagedByValue {
		return false
	}
	return runID == "" || l[LabelRun] == runID
}

// errNotOwned is returned instead of touching an object meshbench did not create.
func errNotOwned(kind, ns, name string) error {
	return fmt.Errorf("%s %s/%s exists and is not meshbench's (no %s=%s label): refusing to change it", kind, ns, name, LabelManagedBy, ManagedByValue)
}
