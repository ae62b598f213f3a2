package models

import (
	"errors"
	"strings"
	"testing"

	"neonet.dev/neonet/checkpoint"
)

// stateDictOf turns a graph's parameters into a state dict, as torch.save
// of model.state_dict() would hold them.
func stateDictOf(t *testing.T, m Model, classes int) *checkpoint.StateDict {
	t.Helper()
	g, err := m.Build(classes)
	if err != nil {
		t.Fatal(err)
	}
	g.Randomize(3)
	sd := &checkpoint.StateDict{Tensors: map[string]*checkpoint.Tensor{}, Path: "finetuned.pth"}
	for _, p := range g.Params {
		sd.Keys = append(sd.Keys, p.Name)
		sd.Tensors[p.Name] = &checkpoint.Tensor{Name: p.Name, Shape: p.Shape, Data: p.Data, DType: checkpoint.Float32}
	}
	return sd
}

// A checkpoint fine-tuned on 7 classes loads with a 7-class head.
func TestClassesFromCheckpoint(t *testing.T) {
	for _, name := range []string{"squeezenet1_1", "efficientnet_b0", "shiftresnet20", "shiftnet_a"} {
		m, _ := Lookup(name)
		g, err := m.FromStateDict(stateDictOf(t, m, 7))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if c := g.OutputShape().C; c != 7 {
			t.Errorf("%s: %d outputs, want 7", name, c)
		}
	}
}

func TestStrictLoading(t *testing.T) {
	m, _ := Lookup("squeezenet1_1")
	sd := stateDictOf(t, m, 1000)
	delete(sd.Tensors, "features.3.squeeze.bias")
	sd.Tensors["features.99.weight"] = &checkpoint.Tensor{Name: "features.99.weight", Shape: []int{1}, Data: []float32{0}}
	sd.Keys = append(sd.Keys, "features.99.weight")
	sd.Tensors["features.0.weight"].Shape = []int{64, 3, 1, 9}
	_, err := m.FromStateDict(sd)
	var mismatch *checkpoint.MismatchError
	if !errors.As(err, &mismatch) {
		t.Fatalf("error %v, want a MismatchError", err)
	}
	for _, want := range []string{"features.3.squeeze.bias", "features.99.weight", "features.0.weight: checkpoint has [64 3 1 9], model expects [64 3 3 3]"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
