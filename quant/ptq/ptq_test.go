package ptq

import (
	"math"
	"reflect"
	"strings"
	"testing"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/internal/alloctest"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant/calib"
	"neonet.dev/neonet/tensor"
)

// everyOp is a small model with every op the zoo uses, including a concat
// whose inputs cannot all share its parameters.
func everyOp(t *testing.T) *graph.Graph {
	b := graph.NewBuilder("everyop", tensor.Shape{N: 1, H: 12, W: 12, C: 3})
	x := b.Conv("stem", b.Input(), graph.ConvSpec{Out: 8, Kernel: 3, Stride: 2, Pad: 1})
	x = b.BatchNorm("stem_bn", x, 1e-5)
	x = b.Act("stem_act", x, nn.ActSiLU)
	y := b.Conv("dw", x, graph.ConvSpec{Out: 8, Kernel: 3, Pad: 1, Groups: 8, Bias: true})
	y = b.Act("dw_act", y, nn.ActReLU6)
	s := b.GlobalAvgPool("se_pool", y)
	s = b.Conv("se_fc1", s, graph.ConvSpec{Out: 2, Kernel: 1, Bias: true})
	s = b.Act("se_act", s, nn.ActSiLU)
	s = b.Conv("se_fc2", s, graph.ConvSpec{Out: 8, Kernel: 1, Bias: true})
	s = b.Act("se_gate", s, nn.ActSigmoid)
	z := b.MulChannels("se", y, s)
	z = b.Add("res", z, x)
	pre := b.BatchNorm("pre_bn", z, 1e-5) // read by nothing foldable: an affine layer
	pre = b.Act("pre_act", pre, nn.ActReLU)
	sh := b.Shift("shift", pre, []nn.Offset{{DY: -1, DX: -1}, {DY: -1}, {DY: -1, DX: 1}, {DX: -1}, {}, {DX: 1}, {DY: 1, DX: -1}, {DY: 1}})
	e1 := b.Conv("e1", sh, graph.ConvSpec{Out: 4, Kernel: 1, Bias: true})
	e1 = b.Act("e1_act", e1, nn.ActReLU)
	e3 := b.Conv("e3", sh, graph.ConvSpec{Out: 4, Kernel: 3, Pad: 1, Bias: true})
	e3 = b.Act("e3_act", e3, nn.ActReLU)
	fire := b.Concat("fire", e1, e3) // both inputs only feed the concat: no requantization
	pooled := b.AvgPool("pool", pre, 3, 1, 1, false, true)
	mixed := b.Concat("mixed", fire, pooled, sh) // sh is also read by e1 and e3: requantized
	mixed = b.MaxPool("maxpool", mixed, 3, 2, 0, true)
	f := b.Flatten("flat", b.GlobalAvgPool("gap", mixed))
	f = b.Linear("fc", f, 5, true)
	g, err := b.Finish(f)
	if err != nil {
		t.Fatal(err)
	}
	g.Randomize(5)
	return g
}

func smoothInput(seed int, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(math.Sin(float64(i*(seed+3))*0.05) + 0.3*math.Cos(float64(seed*i)*0.011))
	}
	return x
}

func calibrated(t *testing.T, g *graph.Graph) *Calibrator {
	c, err := NewCalibrator(g)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 16 {
		if err := c.Observe(smoothInput(i, 12*12*3)); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func TestQuantizeEveryOp(t *testing.T) {
	g := everyOp(t)
	c := calibrated(t, g)
	qm, err := c.Quantize(Meta{Name: "everyop", Labels: []string{"a", "b", "c", "d", "e"}}, calib.Auto)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range qm.Nodes {
		kinds[n.Op.Kind()]++
	}
	for _, k := range []string{"conv2d", "table(silu)", "table(sigmoid)", "mul", "add", "shift", "concat", "avgpool", "maxpool", "globalavgpool", "flatten", "linear", "requant"} {
		if kinds[k] == 0 {
			t.Errorf("no %s op in the int8 model: %v", k, kinds)
		}
	}
	// The Fire-style concat is a plain copy; the outer concat needs at least
	// one requantized input (the inner concat's parameters are its own).
	// Validate, run by Quantize, checks every concat input now shares its
	// output's parameters.
	names := map[string]bool{}
	for _, n := range qm.Nodes {
		names[n.Name] = true
	}
	if names["fire.requant0"] || names["fire.requant1"] || !names["mixed.requant0"] {
		t.Errorf("requantize ops are not where expected: %v", names)
	}
	// The gate of a sigmoid uses its fixed parameters, and max pooling keeps
	// its input's.
	for _, n := range qm.Nodes {
		if n.Name == "se_gate" && qm.Tensors[n.Output].Params.Scale != 1.0/256 {
			t.Errorf("sigmoid output %v", qm.Tensors[n.Output].Params)
		}
		if n.Name == "maxpool" && qm.Tensors[n.Output].Params != qm.Tensors[n.Inputs[0]].Params {
			t.Errorf("max pooling changed parameters")
		}
	}
	cmp, err := NewComparison(g, qm)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		fl, ql, err := cmp.Add(smoothInput(100+i, 12*12*3))
		if err != nil {
			t.Fatal(err)
		}
		if c := cosine(fl, ql); c < 0.98 {
			t.Errorf("input %d: int8 logits cosine %.4f with fp32", i, c)
		}
	}
	for _, l := range cmp.Layers {
		if l.SQNR() < 15 {
			t.Errorf("layer %s (%s): SQNR %.1f dB", l.Name, l.Op, l.SQNR())
		}
	}
}

// The same calibration gives the same model, bit for bit.
func TestQuantizeIsDeterministic(t *testing.T) {
	a, err := calibrated(t, everyOp(t)).Quantize(Meta{Name: "x"}, calib.MSE)
	if err != nil {
		t.Fatal(err)
	}
	b, err := calibrated(t, everyOp(t)).Quantize(Meta{Name: "x"}, calib.MSE)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("two quantizations of the same model and images differ")
	}
}

func TestQuantizeErrors(t *testing.T) {
	c, err := NewCalibrator(everyOp(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Quantize(Meta{}, calib.Auto); err == nil || !strings.Contains(err.Error(), "no calibration images") {
		t.Errorf("quantizing without calibration: %v", err)
	}
	if err := c.Observe(make([]float32, 7)); err == nil {
		t.Error("an input of the wrong size was accepted")
	}
}

// Compiled int8 inference allocates nothing.
func TestInt8RunAllocatesNothing(t *testing.T) {
	qm, err := calibrated(t, everyOp(t)).Quantize(Meta{Name: "x"}, calib.Auto)
	if err != nil {
		t.Fatal(err)
	}
	p, err := qnet.Compile(qm)
	if err != nil {
		t.Fatal(err)
	}
	p.Run()
	// The program runs on a thread per core: the runtime's own wait
	// records, allocated as helpers park, are allowed; neonet's are not.
	alloctest.Neonet(t, func() {
		for range 10 {
			p.Run()
		}
	})
}

func TestCalibrationImages(t *testing.T) {
	dir := t.TempDir()
	if _, err := CalibrationImages(dir, 10); err == nil {
		t.Error("an empty folder gave calibration images")
	}
}

// Bias correction subtracts exactly the expected weight-rounding error.
func TestCorrectBias(t *testing.T) {
	// Two outputs of a grouped layer (2 groups, 1 input channel each, 2 taps).
	w := []float32{0.30, -0.11, 1.0, 0.52}
	scales := []float32{0.3 / 127, 1.0 / 127}
	wq := quantizeWeights(w, scales)
	mean := []float64{2, -4}
	got := correctBias([]float32{1, 1}, w, wq, scales, 2, mean)
	for o := range 2 {
		var e float64
		for k := range 2 {
			j := o*2 + k
			e += (float64(wq[j])*float64(scales[o]) - float64(w[j])) * mean[o]
		}
		if want := float32(1 - e); got[o] != want {
			t.Errorf("output %d: corrected bias %v, want %v", o, got[o], want)
		}
	}
	if b := correctBias([]float32{1, 1}, w, wq, scales, 2, nil); b[0] != 1 || b[1] != 1 {
		t.Error("bias changed without means")
	}
}
