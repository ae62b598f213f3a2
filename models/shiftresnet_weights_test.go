package models

import (
	"math"
	"testing"

	"neonet.dev/neonet/engine"
	"neonet.dev/neonet/internal/testenv"
)

// The trained ShiftResNet-20 reproduces the reference logits of its first
// 32 CIFAR-10 test images.
func TestShiftResNet20TrainedWeights(t *testing.T) {
	dir := testenv.SharedData(t, "weights", "shiftresnet20_cifar10")
	m, err := Lookup("shiftresnet20")
	if err != nil {
		t.Fatal(err)
	}
	g, err := m.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := csvReader{dir: dir}
	inputs := r.read("inputs_batch_32", 32*32*32*3)
	want := r.read("outputs_batch_32", 32*10)
	targets := r.read("targets_batch_32", 32)
	if r.err != nil {
		t.Fatal(r.err)
	}
	prog, err := engine.Compile(g, engine.Options{Batch: 32})
	if err != nil {
		t.Fatal(err)
	}
	out, err := prog.RunInput(inputs)
	if err != nil {
		t.Fatal(err)
	}
	var maxDiff, maxAbs float64
	correct := 0
	for i := range 32 {
		best := 0
		for c := range 10 {
			got := float64(out.Data[i*10+c])
			maxDiff = max(maxDiff, math.Abs(got-float64(want[i*10+c])))
			maxAbs = max(maxAbs, math.Abs(float64(want[i*10+c])))
			if out.Data[i*10+c] > out.Data[i*10+best] {
				best = c
			}
		}
		if best == int(targets[i]) {
			correct++
		}
	}
	t.Logf("max |logit diff| %.3g (max |logit| %.3g), %d/32 correct", maxDiff, maxAbs, correct)
	if maxDiff > 1e-4 {
		t.Errorf("logits differ from the reference by %.3g, want <= 1e-4", maxDiff)
	}
}
