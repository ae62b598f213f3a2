package fp32

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"neonet.dev/neonet/nn"

	"neonet.dev/neonet/tensor"
)

// opCase is one PyTorch reference computation from testdata/ops_golden.json.
type opCase struct {
	Op              string    `json:"op"`
	Kernel          int       `json:"kernel"`
	Stride          int       `json:"stride"`
	Pad             int       `json:"pad"`
	Dilation        int       `json:"dilation"`
	Groups          int       `json:"groups"`
	CeilMode        bool      `json:"ceil_mode"`
	CountIncludePad bool      `json:"count_include_pad"`
	InShape         [4]int    `json:"in_shape"`
	OutShape        [4]int    `json:"out_shape"`
	Input           []float32 `json:"input"`
	Weight          []float32 `json:"weight"`
	Bias            []float32 `json:"bias"`
	Output          []float32 `json:"output"`
}

func shapeOf(s [4]int) tensor.Shape { return tensor.Shape{N: s[0], H: s[1], W: s[2], C: s[3]} }

// TestAgainstPyTorch runs every op of ops_golden.json (made by
// make_ops_golden.py with PyTorch) and compares outputs and output shapes.
func TestAgainstPyTorch(t *testing.T) {
	data, err := os.ReadFile("testdata/ops_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var golden struct{ Cases []opCase }
	if err := json.Unmarshal(data, &golden); err != nil {
		t.Fatal(err)
	}
	if len(golden.Cases) < 20 {
		t.Fatalf("only %d cases in ops_golden.json", len(golden.Cases))
	}
	for i, c := range golden.Cases {
		in := &tensor.Tensor{Shape: shapeOf(c.InShape), Data: c.Input}
		want := shapeOf(c.OutShape)
		var got tensor.Shape
		out := tensor.New(want)
		switch c.Op {
		case "conv2d":
			g := nn.ConvGeometry{KH: c.Kernel, KW: c.Kernel, StrideH: c.Stride, StrideW: c.Stride,
				PadH: c.Pad, PadW: c.Pad, DilH: c.Dilation, DilW: c.Dilation, Groups: c.Groups}
			got.H, got.W = g.OutSize(in.Shape.H, in.Shape.W)
			w := PackConvWeights(c.Weight, want.C, in.Shape.C/c.Groups, c.Kernel, c.Kernel)
			Conv2D(out, in, w, c.Bias, g, nn.ActNone)
		case "maxpool", "avgpool":
			p := nn.PoolGeometry{KH: c.Kernel, KW: c.Kernel, StrideH: c.Stride, StrideW: c.Stride,
				PadH: c.Pad, PadW: c.Pad, CeilMode: c.CeilMode, CountIncludePad: c.CountIncludePad}
			got.H, got.W = p.OutSize(in.Shape.H, in.Shape.W)
			if c.Op == "maxpool" {
				MaxPool(out, in, p)
			} else {
				AvgPool(out, in, p)
			}
		case "flatten":
			Flatten(out, in)
		case "globalavgpool":
			GlobalAvgPool(out, in)
		case "relu", "relu6", "silu", "sigmoid":
			act := map[string]nn.Activation{"relu": nn.ActReLU, "relu6": nn.ActReLU6, "silu": nn.ActSiLU, "sigmoid": nn.ActSigmoid}[c.Op]
			Activate(out.Data, in.Data, act)
		case "softmax":
			Softmax(out.Data, in.Data, in.Shape.C)
		case "linear":
			Linear(out, in, c.Weight, c.Bias, nn.ActNone)
		default:
			t.Fatalf("case %d: unknown op %q", i, c.Op)
		}
		if got.H != 0 && (got.H != want.H || got.W != want.W) {
			t.Errorf("case %d %s: output %dx%d, PyTorch %dx%d", i, c.Op, got.H, got.W, want.H, want.W)
			continue
		}
		if d := maxRelDiff(out.Data, c.Output); d > 1e-5 {
			t.Errorf("case %d %s %+v: max relative difference %.3g", i, c.Op, shapeOf(c.InShape), d)
		}
	}
}

// maxRelDiff is max |a-b| relative to max |b| (at least 1).
func maxRelDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	var diff, scale float64 = 0, 1
	for i := range a {
		diff = max(diff, math.Abs(float64(a[i])-float64(b[i])))
		scale = max(scale, math.Abs(float64(b[i])))
	}
	return diff / scale
}

func TestShiftMovesChannels(t *testing.T) {
	// One 3x3 image, three channels holding 1..9; each channel moves differently.
	src := tensor.New(tensor.Shape{N: 1, H: 3, W: 3, C: 3})
	for y := range 3 {
		for x := range 3 {
			for c := range 3 {
				src.Data[src.Index(0, y, x, c)] = float32(y*3 + x + 1)
			}
		}
	}
	dst := tensor.New(src.Shape)
	Shift(dst, src, []nn.Offset{{DY: 0, DX: 0}, {DY: 1, DX: 0}, {DY: -1, DX: 1}})
	want := [3][9]float32{
		{1, 2, 3, 4, 5, 6, 7, 8, 9}, // unchanged
		{4, 5, 6, 7, 8, 9, 0, 0, 0}, // takes the row below
		{0, 0, 0, 2, 3, 0, 5, 6, 0}, // takes the pixel above-right
	}
	for c := range 3 {
		for i := range 9 {
			if got := dst.Data[i*3+c]; got != want[c][i] {
				t.Errorf("channel %d pixel %d = %v, want %v", c, i, got, want[c][i])
			}
		}
	}
}

func TestConcatMulAddAffine(t *testing.T) {
	s := tensor.Shape{N: 1, H: 1, W: 2, C: 2}
	a := &tensor.Tensor{Shape: s, Data: []float32{1, 2, 3, 4}}
	b := &tensor.Tensor{Shape: tensor.Shape{N: 1, H: 1, W: 2, C: 1}, Data: []float32{5, 6}}
	cat := tensor.New(tensor.Shape{N: 1, H: 1, W: 2, C: 3})
	Concat(cat, []*tensor.Tensor{a, b})
	expect(t, "concat", cat.Data, []float32{1, 2, 5, 3, 4, 6})

	scale := &tensor.Tensor{Shape: tensor.Shape{N: 1, H: 1, W: 1, C: 2}, Data: []float32{10, -1}}
	mul := tensor.New(s)
	MulChannels(mul, a, scale)
	expect(t, "mul", mul.Data, []float32{10, -2, 30, -4})

	sum := tensor.New(s)
	Add(sum, a, mul, nn.ActReLU)
	expect(t, "add+relu", sum.Data, []float32{11, 0, 33, 0})

	aff := tensor.New(s)
	ChannelAffine(aff, a, []float32{2, 3}, []float32{1, -7}, nn.ActReLU6)
	expect(t, "affine+relu6", aff.Data, []float32{3, 0, 6, 5})
}

func expect(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%s: got %v, want %v", what, got, want)
			return
		}
	}
}

// A window larger than the padded input has no valid position (PyTorch
// raises an error); truncating division must not turn that into 1.
func TestWindowLargerThanInput(t *testing.T) {
	g := nn.ConvGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Groups: 1}
	if h, w := g.OutSize(2, 2); h != 0 || w != 0 {
		t.Errorf("3x3 stride-2 conv on 2x2: %dx%d, want 0x0", h, w)
	}
	p := nn.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
	if h, w := p.OutSize(2, 2); h != 0 || w != 0 {
		t.Errorf("3x3 stride-2 pool on 2x2: %dx%d, want 0x0", h, w)
	}
	if h, _ := p.OutSize(3, 3); h != 1 {
		t.Errorf("3x3 pool on 3x3: %d, want 1", h)
	}
}
