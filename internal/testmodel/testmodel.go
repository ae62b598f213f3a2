package testmodel

import (
	"path/filepath"
	"sync"
	"testing"

	"neonet.dev/neonet/bench"
	"neonet.dev/neonet/modelfile"
	"neonet.dev/neonet/models"
	"neonet.dev/neonet/qnet"
)

var (
	once  sync.Once
	model *qnet.Model
	err   error
)

// ShiftResNet20 returns the model, made once per test binary; callers
// must not change it.
func ShiftResNet20(t testing.TB) *qnet.Model {
	t.Helper()
	once.Do(func() {
		var zoo models.Model
		if zoo, err = models.Lookup("shiftresnet20"); err != nil {
			return
		}
		g, lerr := zoo.Load("")
		if lerr != nil {
			err = lerr
			return
		}
		labels, lerr := models.DefaultLabels(zoo.Labels)
		if lerr != nil {
			err = lerr
			return
		}
		if model, err = bench.Quantize(zoo, g, bench.Options{Method: "minmax"}); err == nil {
			model.Labels = labels.Names
		}
	})
	if err != nil {
		t.Fatalf("testmodel: %v", err)
	}
	return model
}

// File saves the model to a model file in a temporary folder of t and
// returns its path.
func File(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "shiftresnet20.neonet")
	if err := modelfile.Save(path, ShiftResNet20(t)); err != nil {
		t.Fatal(err)
	}
	return path
}
