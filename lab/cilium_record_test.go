package lab

import (
	"testing"

	"github.com/meshbench/meshbench/meshes"
)

// The lab writes its engine's record under the names detect reads.
func TestEngineRecordNamesAreDetects(t *testing.T) {
	for got, want := range map[string]string{
		recordNamespace: meshes.LabConfigMapNamespace,
		recordName:      meshes.LabConfigMapName,
		recordEngine:    meshes.LabPolicyEngineKey,
		recordVersion:   meshes.LabPolicyEngineVersionKey,
		recordL7Proxy:   meshes.LabL7ProxyKey,
	} {
		if got != want {
			t.Errorf("the lab writes %q where detect reads %q", got, want)
		}
	}
}
