package lab

import (
	"encoding/json"
	"fmt"
	"os"
)

// topologyFile is what nodes.json records of a running lab.
type topologyFile struct {
	Nodes int `json:"nodes"`
}

func writeTopology(l layout, nodes []Node) error {
	b, err := json.Marshal(topologyFile{Nodes: len(nodes)})
	if err != nil {
		return err
	}
	return os.WriteFile(l.topology(), append(b, '\n'), 0o644)
}

// readTopology returns the nodes of the lab at l as `up` recorded them.
func readTopology(l layout) ([]Node, error) {
	b, err := os.ReadFile(l.topology())
	if err != nil {
		return nil, err
	}
	var t topologyFile
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("%s: %w", l.topology(), err)
	}
	if err := CheckNodeCount(t.Nodes); err != nil {
		return nil, fmt.Errorf("%s: %w", l.topology(), err)
	}
	return Nodes(t.Nodes), nil
}

// RunningNodes are the nodes of the lab at stateDir, as its `up` recorded
// them; none when no lab was started there.
func RunningNodes(stateDir string) []Node {
	nodes, _ := readTopology(layout(stateDir))
	return nodes
}
