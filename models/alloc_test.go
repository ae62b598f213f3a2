package models_test

import (
	"testing"

	"neonet.dev/neonet/internal/zootest"
	"neonet.dev/neonet/models"
)

// Inference on a compiled zoo model allocates nothing once compiled.
func TestModelRunAllocatesNothing(t *testing.T) {
	for _, name := range []string{"squeezenet1_1", "shiftresnet20"} {
		m, err := models.Lookup(name)
		if err != nil {
			t.Fatal(err)
		}
		_, p := zootest.Compile(t, m)
		if n := testing.AllocsPerRun(2, func() { p.Run() }); n != 0 {
			t.Errorf("%s: %v allocations per inference", name, n)
		}
	}
}
