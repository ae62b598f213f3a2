package qnet

import (
	"strings"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// tiny is a valid model: a 1x1 convolution with ReLU, then a max pool.
func tiny() *Model {
	p := quant.Params{Scale: 0.1, Zero: -5}
	s := tensor.Shape{N: 1, H: 4, W: 4, C: 2}
	return &Model{
		Name: "tiny",
		Tensors: []Tensor{
			{Name: "input", Shape: s, Params: p},
			{Name: "conv", Shape: s, Params: quant.Params{Scale: 0.05, Zero: -128}},
			{Name: "pool", Shape: tensor.Shape{N: 1, H: 2, W: 2, C: 2}, Params: quant.Params{Scale: 0.05, Zero: -128}},
		},
		Nodes: []Node{
			{Name: "conv", Op: &Conv{Geometry: nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1},
				Out: 2, Weights: []int8{127, 0, 0, -127}, WeightScales: []float32{0.01, 0.01}, Bias: []int32{635, -635}, Act: nn.ActReLU}, // -zIn*sum(w) folded in
				Inputs: []int{0}, Output: 1},
			{Name: "pool", Op: &MaxPool{Geometry: nn.PoolGeometry{KH: 2, KW: 2, StrideH: 2, StrideW: 2}}, Inputs: []int{1}, Output: 2},
		},
		Input: 0, Output: 2,
	}
}

func TestValidateAndRun(t *testing.T) {
	m := tiny()
	p, err := Compile(m)
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 32)
	for i := range x {
		x[i] = float32(i%7) - 3
	}
	if err := p.QuantizeInput(x); err != nil {
		t.Fatal(err)
	}
	p.Run()
	// Channel 0 is x*1.27 through ReLU, channel 1 is -x*1.27 through ReLU;
	// every pooled value is within one output step of the float result.
	logits := p.Logits()
	for c := range 2 {
		for oy := range 2 {
			for ox := range 2 {
				var want float32
				for dy := range 2 {
					for dx := range 2 {
						v := x[((2*oy+dy)*4+2*ox+dx)*2+c] * 1.27
						if c == 1 {
							v = -v
						}
						want = max(want, v)
					}
				}
				got := logits[(oy*2+ox)*2+c]
				if d := got - want; d > 0.05 || d < -0.05 {
					t.Errorf("channel %d at %d,%d: %v, want %v", c, oy, ox, got, want)
				}
			}
		}
	}
}

func TestValidateRejects(t *testing.T) {
	for _, c := range []struct {
		why    string
		break_ func(m *Model)
		want   string
	}{
		{"zero scale", func(m *Model) { m.Tensors[1].Params.Scale = 0 }, "scale 0: want a finite positive number"},
		{"zero point out of range", func(m *Model) { m.Tensors[0].Params.Zero = 300 }, "zero point 300: want -128..127"},
		{"reading a later tensor", func(m *Model) { m.Nodes[0].Inputs = []int{2} }, "before it is written"},
		{"weights too short", func(m *Model) { m.Nodes[0].Op.(*Conv).Weights = []int8{1} }, "weights: 1 values, want 1x1x2x2"},
		{"pool changing parameters", func(m *Model) { m.Tensors[2].Params.Zero = 0 }, "keep its input's parameters"},
		{"wrong output size", func(m *Model) { m.Tensors[2].Shape.H = 3 }, "pooling of"},
		{"output never written", func(m *Model) { m.Nodes = m.Nodes[:1] }, "never written"},
	} {
		m := tiny()
		c.break_(m)
		if err := m.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.why, err, c.want)
		}
	}
}

// TestPoolsSplitByRows runs a max pool and an average pool (no padding,
// ceil mode, odd sizes: the last window of a column is clipped) big enough
// to be split over threads by output rows, on every path at 1 and 3
// threads: the reference's bytes every time.
func TestPoolsSplitByRows(t *testing.T) {
	p := quant.Params{Scale: 0.1, Zero: -7}
	in := tensor.Shape{N: 1, H: 67, W: 45, C: 64}
	maxG := nn.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
	avgG := nn.PoolGeometry{KH: 2, KW: 2, StrideH: 2, StrideW: 2, CeilMode: true}
	mh, mw := maxG.OutSize(in.H, in.W)
	ah, aw := avgG.OutSize(mh, mw)
	m := &Model{
		Name: "pools",
		Tensors: []Tensor{
			{Name: "input", Shape: in, Params: p},
			{Name: "max", Shape: tensor.Shape{N: 1, H: mh, W: mw, C: in.C}, Params: p},
			{Name: "avg", Shape: tensor.Shape{N: 1, H: ah, W: aw, C: in.C}, Params: quant.Params{Scale: 0.07, Zero: 3}},
		},
		Nodes: []Node{
			{Name: "max", Op: &MaxPool{Geometry: maxG}, Inputs: []int{0}, Output: 1},
			{Name: "avg", Op: &AvgPool{Geometry: avgG}, Inputs: []int{1}, Output: 2},
		},
		Input: 0, Output: 2,
	}
	if err := m.Validate(); err != nil {
		t.Fatal(err)
	}
	x := make([]int8, in.Elems())
	for i := range x {
		x[i] = int8(i*37 + i/64*11)
	}
	run := func(path dispatch.Path, threads int) ([]int8, []string) {
		prog, err := CompileWith(m, Options{Kernels: path, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		defer prog.Close()
		copy(prog.Input().Data, x)
		prog.Run()
		var kinds []string
		for _, s := range prog.Steps() {
			kinds = append(kinds, s.Kernel)
		}
		return append([]int8(nil), prog.Value(m.Output).Data...), kinds
	}
	want, _ := run(dispatch.Ref, 1)
	for _, path := range dispatch.Paths()[1:] {
		if !dispatch.Supported(path) {
			continue
		}
		for _, threads := range []int{1, 3} {
			got, kinds := run(path, threads)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s, %d threads (%v): value %d is %d, want %d", path, threads, kinds, i, got[i], want[i])
				}
			}
		}
	}
}
