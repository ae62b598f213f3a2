package kerneltest

import (
	"fmt"
	"math/rand/v2"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// ConvCase is a convolution to test: input shape, output channels, kernel
// size, stride, padding and dilation. Same pads as TensorFlow's "SAME"
// (nn.SamePadding, asymmetric at even strides) instead of Pad.
type ConvCase struct {
	In                       tensor.Shape
	Cout                     int
	KH, KW, Stride, Pad, Dil int
	Same                     bool
}

// NewConvCase is ConvCase{in, cout, kh, kw, stride, pad, dil}.
func NewConvCase(in tensor.Shape, cout, kh, kw, stride, pad, dil int) ConvCase {
	return ConvCase{In: in, Cout: cout, KH: kh, KW: kw, Stride: stride, Pad: pad, Dil: dil}
}

// Geometry is c's geometry (groups 1).
func (c ConvCase) Geometry() nn.ConvGeometry {
	g := nn.ConvGeometry{KH: c.KH, KW: c.KW, StrideH: c.Stride, StrideW: c.Stride, PadH: c.Pad, PadW: c.Pad, DilH: c.Dil, DilW: c.Dil, Groups: 1}
	if c.Same {
		g = g.WithSamePadding(c.In.H, c.In.W)
	}
	return g
}

func (c ConvCase) String() string {
	pad := fmt.Sprint(c.Pad)
	if c.Same {
		pad = "SAME"
	}
	return fmt.Sprintf("%dx%dx%dx%d->%d k%dx%d s%d p%s d%d", c.In.N, c.In.H, c.In.W, c.In.C, c.Cout, c.KH, c.KW, c.Stride, pad, c.Dil)
}

// ConvFixture is one layer's random data.
type ConvFixture struct {
	C      ConvCase
	Out    tensor.Shape
	W      []int8
	Bias   []int32
	Src    *tensor.Int8
	InZero int32
	O      q8ref.Output
}

// NewConvFixture draws random weights, biases, input and output
// parameters for c.
func NewConvFixture(rng *rand.Rand, c ConvCase) ConvFixture {
	g := c.Geometry()
	oh, ow := g.OutSize(c.In.H, c.In.W)
	k := c.KH * c.KW * c.In.C
	f := ConvFixture{
		C: c, Out: Shape(c.In.N, oh, ow, c.Cout),
		W:      ConvRandomInt8s(rng, k*c.Cout, -127, 127),
		Bias:   make([]int32, c.Cout),
		Src:    &tensor.Int8{Shape: c.In, Data: ConvRandomInt8s(rng, c.In.Elems(), -128, 127)},
		InZero: int32(rng.IntN(256) - 128),
		O:      ConvRandomOutput(rng, c.Cout, k),
	}
	for i := range f.Bias {
		f.Bias[i] = int32(rng.IntN(40001) - 20000)
	}
	return f
}

// Want is the q8 reference output of f.
func (f ConvFixture) Want() *tensor.Int8 {
	want := tensor.NewInt8(f.Out)
	q8ref.Conv2D(want, f.Src, f.W, f.Bias, f.C.Geometry(), f.InZero, f.O, make([]int32, f.C.Cout))
	return want
}

// PadExplicitly writes g's padding into the input: it returns src (of
// shape s) inside a tensor grown by g's padding on each side, the new
// values fill, and g without padding, which computes on the grown tensor
// what g computes on src. It checks a kernel's padding, symmetric or not,
// against the same kernel reading no padding.
func PadExplicitly[T any](src []T, s tensor.Shape, g nn.ConvGeometry, fill T) ([]T, tensor.Shape, nn.ConvGeometry) {
	grown := tensor.Shape{N: s.N, H: s.H + 2*g.PadH + g.ExtraPadH, W: s.W + 2*g.PadW + g.ExtraPadW, C: s.C}
	dst := make([]T, grown.Elems())
	for i := range dst {
		dst[i] = fill
	}
	for n := range s.N {
		for y := range s.H {
			row := ((n*grown.H+y+g.PadH)*grown.W + g.PadW) * s.C
			copy(dst[row:row+s.W*s.C], src[(n*s.H+y)*s.W*s.C:][:s.W*s.C])
		}
	}
	plain := g
	plain.PadH, plain.PadW, plain.ExtraPadH, plain.ExtraPadW = 0, 0, 0, 0
	oh, ow := g.OutSize(s.H, s.W)
	if h, w := plain.OutSize(grown.H, grown.W); h != oh || w != ow {
		panic(fmt.Sprintf("kerneltest: %+v on %v gives %dx%d, explicitly padded %dx%d", g, s, oh, ow, h, w))
	}
	return dst, grown, plain
}

// SameCases are convolutions with TensorFlow's SAME padding (kernel size,
// stride and input size): asymmetric at stride 2 on even sizes (3x3 pads
// 0 before and 1 after, 5x5 1 and 2), symmetric otherwise.
var SameCases = []struct{ K, Stride, H, W int }{
	{3, 2, 8, 8}, {5, 2, 8, 10}, {3, 2, 7, 6}, {5, 2, 9, 9}, {3, 1, 5, 6}, {5, 1, 6, 5},
}

// SameConv is one of SameConvs: a geometry and its input and output shapes.
type SameConv struct {
	G       nn.ConvGeometry
	In, Out tensor.Shape
}

// SameConvs are the SameCases as dense and as depthwise convolutions of
// batch n, c input and c output channels.
func SameConvs(n, c int) []SameConv {
	var convs []SameConv
	for _, sc := range SameCases {
		for _, groups := range []int{1, c} {
			g := nn.ConvGeometry{KH: sc.K, KW: sc.K, StrideH: sc.Stride, StrideW: sc.Stride, DilH: 1, DilW: 1, Groups: groups}.WithSamePadding(sc.H, sc.W)
			oh, ow := g.OutSize(sc.H, sc.W)
			convs = append(convs, SameConv{G: g, In: Shape(n, sc.H, sc.W, c), Out: Shape(n, oh, ow, c)})
		}
	}
	return convs
}
