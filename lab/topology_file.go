package lab

import (
	"encoding/json"
	"fmt"
	"os"
)

// topologyFile is what nodes.json records of a running lab.
type topologyFile struct {
	Nodes   int     `json:"nodes"`
	Network Network `json:"network,omitempty"` // empty in labs before networks: routed
}

func writeTopology(l layout, nodes []Node, network Network) error {
	b, err := json.Marshal(topologyFile{Nodes: len(nodes), Network: network})
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

// readNetwork returns the network of the lab at l as `up` recorded it.
func readNetwork(l layout) (Network, error) {
	b, err := os.ReadFile(l.topology())
	if err != nil {
		return "", err
	}
	var t topologyFile
	if err := json.Unmarshal(b, &t); err != nil {
		return "", fmt.Errorf("%s: %w", l.topology(), err)
	}
	if t.Network == "" {
		return Routed, nil
	}
	return t.Network, nil
}

// RunningNetwork is the network between the nodes of the lab at stateDir;
// empty when no lab was started there.
func RunningNetwork(stateDir string) Network {
	n, _ := readNetwork(layout(stateDir))
	return n
}

// RunningNodes are the nodes of the lab at stateDir, as its `up` recorded
// them; none when no lab was started there.
func RunningNodes(stateDir string) []Node {
	nodes, _ := readTopology(layout(stateDir))
	return nodes
}
