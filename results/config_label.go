package results

import "slices"

// ConfigLabeler returns the function that names a cell's configuration in
// d: its mesh ("none" when empty), and the shape of its decoy policies when
// d measured more than one shape (a study run with --shape a,b), so each
// shape's steps form rows of their own. Cells without policies (step 0)
// belong to no shape: that one step is shared by every shape.
func (d *Document) ConfigLabeler() func(*Cell) string {
	var shapes []string
	for i := range d.Cells {
		if s := d.Cells[i].Shape; s != "" && !slices.Contains(shapes, s) {
			shapes = append(shapes, s)
		}
	}
	if len(shapes) < 2 {
		return (*Cell).MeshLabel
	}
	return func(c *Cell) string {
		switch {
		case c.Shape == "":
			return c.MeshLabel()
		case c.MeshLabel() == "none":
			return c.Shape
		}
		return c.MeshLabel() + " " + c.Shape
	}
}
