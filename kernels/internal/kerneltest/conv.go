package kerneltest

import (
	"fmt"
	"math/rand/v2"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// ConvCase is a convolution to test: input shape, output channels, kernel
// size, stride, padding and dilation.
type ConvCase struct {
	In                       tensor.Shape
	Cout                     int
	KH, KW, Stride, Pad, Dil int
}

// NewConvCase is ConvCase{in, cout, kh, kw, stride, pad, dil}.
func NewConvCase(in tensor.Shape, cout, kh, kw, stride, pad, dil int) ConvCase {
	return ConvCase{In: in, Cout: cout, KH: kh, KW: kw, Stride: stride, Pad: pad, Dil: dil}
}

// Geometry is c's geometry (groups 1).
func (c ConvCase) Geometry() nn.ConvGeometry {
	return nn.ConvGeometry{KH: c.KH, KW: c.KW, StrideH: c.Stride, StrideW: c.Stride, PadH: c.Pad, PadW: c.Pad, DilH: c.Dil, DilW: c.Dil, Groups: 1}
}

func (c ConvCase) String() string {
	return fmt.Sprintf("%dx%dx%dx%d->%d k%dx%d s%d p%d d%d", c.In.N, c.In.H, c.In.W, c.In.C, c.Cout, c.KH, c.KW, c.Stride, c.Pad, c.Dil)
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
