package zootest

import (
	"testing"

	"neonet.dev/neonet/models"
)

func TestCompile(t *testing.T) {
	m, err := models.Lookup("shiftresnet20")
	if err != nil {
		t.Fatal(err)
	}
	g, p := Compile(t, m)
	if g.TrainableParams() == 0 || len(p.Input().Data) != g.InputShape().Elems() {
		t.Errorf("graph with %d parameters, program input of %d values for shape %v", g.TrainableParams(), len(p.Input().Data), g.InputShape())
	}
	// Seeded weights: not all zero.
	nonzero := false
	for _, v := range g.Params[0].Data {
		nonzero = nonzero || v != 0
	}
	if !nonzero {
		t.Errorf("%s is all zeros: the weights were not seeded", g.Params[0].Name)
	}
}
