package engine

import (
	"math"
	"testing"

	"neonet.dev/neonet/graph"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// smallNet exercises every lowering rule: conv+bn+act folding, a batch norm
// that cannot fold (its conv output has two readers), standalone and fused
// activations, residual add, squeeze-and-excitation, shift, concat, pools.
func smallNet(t testing.TB) *graph.Graph {
	b := graph.NewBuilder("small", tensor.Shape{N: 1, H: 12, W: 12, C: 3})
	x := b.Conv("stem", b.Input(), graph.ConvSpec{Out: 8, Kernel: 3, Stride: 2, Pad: 1})
	x = b.BatchNorm("stem_bn", x, 1e-5)
	x = b.Act("stem_act", x, nn.ActSiLU)
	y := b.Conv("dw", x, graph.ConvSpec{Out: 8, Kernel: 3, Pad: 1, Groups: 8, Bias: true})
	bn := b.BatchNorm("dw_bn", y, 1e-3) // y is also read by the add below: cannot fold
	bn = b.Act("dw_act", bn, nn.ActReLU6)
	s := b.GlobalAvgPool("se_pool", bn)
	s = b.Conv("se_fc1", s, graph.ConvSpec{Out: 2, Kernel: 1, Bias: true})
	s = b.Act("se_act", s, nn.ActReLU)
	s = b.Conv("se_fc2", s, graph.ConvSpec{Out: 8, Kernel: 1, Bias: true})
	s = b.Act("se_gate", s, nn.ActSigmoid)
	z := b.MulChannels("se", bn, s)
	z = b.Add("res", z, y)
	z = b.Shift("shift", z, []nn.Offset{{DY: -1, DX: -1}, {DY: -1, DX: 0}, {DY: -1, DX: 1}, {DY: 0, DX: -1}, {DY: 0, DX: 0}, {DY: 0, DX: 1}, {DY: 1, DX: -1}, {DY: 1, DX: 0}})
	p := b.MaxPool("pool", z, 3, 2, 0, true)
	q := b.AvgPool("avg", z, 3, 2, 1, false, true)
	q = b.Act("avg_act", q, nn.ActReLU)
	c := b.Concat("cat", p, q)
	c = b.Flatten("flat", c)
	c = b.Linear("fc", c, 5, true)
	g, err := b.Finish(c)
	if err != nil {
		t.Fatal(err)
	}
	g.Randomize(42)
	return g
}

func TestFoldingChangesNothing(t *testing.T) {
	g := smallNet(t)
	folded, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Compile(g, Options{NoFold: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(folded.Steps()) >= len(plain.Steps()) {
		t.Fatalf("folding left %d steps of %d", len(folded.Steps()), len(plain.Steps()))
	}
	kinds := map[string]bool{}
	for _, s := range folded.Steps() {
		kinds[s.Kind] = true
	}
	for _, k := range []string{"conv2d+bn+silu", "affine+relu6", "conv2d+sigmoid", "avgpool", "relu"} {
		if !kinds[k] {
			t.Errorf("no step of kind %q after folding; have %v", k, kinds)
		}
	}
	for i := range folded.Input().Data {
		v := float32(math.Sin(float64(i)))
		folded.Input().Data[i], plain.Input().Data[i] = v, v
	}
	a, b := folded.Run().Data, plain.Run().Data
	for i := range a {
		if d := math.Abs(float64(a[i] - b[i])); d > 1e-5*max(1, math.Abs(float64(b[i]))) {
			t.Errorf("output %d: folded %v, unfolded %v", i, a[i], b[i])
		}
	}
}

func TestRunAllocatesNothing(t *testing.T) {
	p, err := Compile(smallNet(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(10, func() { p.Run() }); n != 0 {
		t.Errorf("Run allocates %v times per call", n)
	}
}

func TestBatchMatchesSingleImages(t *testing.T) {
	g := smallNet(t)
	one, err := Compile(g, Options{})
	if err != nil {
		t.Fatal(err)
	}
	three, err := Compile(g, Options{Batch: 3})
	if err != nil {
		t.Fatal(err)
	}
	per := len(one.Input().Data)
	for i := range three.Input().Data {
		three.Input().Data[i] = float32(math.Cos(float64(i) * 0.37))
	}
	batch := append([]float32(nil), three.Run().Data...)
	classes := len(batch) / 3
	for n := range 3 {
		out, err := one.RunInput(three.Input().Data[n*per : (n+1)*per])
		if err != nil {
			t.Fatal(err)
		}
		for c := range classes {
			if out.Data[c] != batch[n*classes+c] {
				t.Fatalf("image %d class %d: alone %v, in batch %v", n, c, out.Data[c], batch[n*classes+c])
			}
		}
	}
	if _, err := one.RunInput(make([]float32, 3)); err == nil {
		t.Error("RunInput accepted an input of the wrong size")
	}
}
