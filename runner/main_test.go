package runner

import (
	"os"
	"testing"

	"github.com/meshbench/meshbench/cluster"
	"github.com/meshbench/meshbench/lab/labtest"
)

// One lab serves every test of the package.
func TestMain(m *testing.M) { os.Exit(labtest.Main(m)) }

// labClient connects to the lab, starting it if needed; it skips (fails
// under CI=true) where the lab cannot run.
func labClient(tb testing.TB) *cluster.Client { return labtest.ClusterClient(tb) }
