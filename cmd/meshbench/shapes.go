package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/meshbench/meshbench/generators"
	"github.com/meshbench/meshbench/policies"
)

// parseShapes reads --shape: one shape or several, comma-separated, each
// valid for the plan's kind; empty means the kind's default. A study
// measures each at most once.
func parseShapes(plan generators.Plan, list string) ([]policies.Shape, error) {
	if strings.TrimSpace(list) == "" {
		return []policies.Shape{""}, plan.Validate()
	}
	var shapes []policies.Shape
	for _, s := range strings.Split(list, ",") {
		plan.Shape = policies.Shape(strings.ToLower(strings.TrimSpace(s)))
		if plan.Shape == "" {
			return nil, fmt.Errorf("--shape %q: an empty shape; want shapes separated by commas, e.g. ports,peers", list)
		}
		if err := plan.Validate(); err != nil {
			return nil, err
		}
		if slices.Contains(shapes, plan.Shape) {
			return nil, fmt.Errorf("--shape %q: %s given twice; want each shape once", list, plan.Shape)
		}
		shapes = append(shapes, plan.Shape)
	}
	return shapes, nil
}
