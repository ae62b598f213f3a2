package q8_test

import (
	"fmt"
	"slices"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// A 3x3 convolution built once for the path this CPU runs best (or the
// one NEONET_KERNELS names), then run on a frame; its output is the
// reference's, byte for byte.
func ExampleNewConv() {
	in := tensor.Shape{N: 1, H: 8, W: 8, C: 3}
	out := tensor.Shape{N: 1, H: 4, W: 4, C: 16}
	g := nn.ConvGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1}
	w := make([]int8, 3*3*in.C*out.C) // [KH][KW][Cin][Cout]
	for i := range w {
		w[i] = int8(i%255 - 127)
	}
	bias := make([]int32, out.C)
	o := q8ref.Output{Multipliers: []float32{0.002}, Zero: -5, Lo: -5, Hi: 127} // a fused ReLU

	path, err := dispatch.Select()
	if err != nil {
		panic(err)
	}
	kernels, err := dispatch.Q8Kernels(path)
	if err != nil {
		panic(err)
	}
	conv, err := q8.NewConv(kernels, w, bias, g, in, out, 3, o)
	if err != nil {
		panic(err)
	}
	src := tensor.NewInt8(in)
	for i := range src.Data {
		src.Data[i] = int8(i * 37)
	}
	dst := tensor.NewInt8(out)
	conv.Run(dst, src)

	want := tensor.NewInt8(out)
	q8ref.Conv2D(want, src, w, bias, g, 3, o, make([]int32, out.C))
	fmt.Println(slices.Equal(dst.Data, want.Data))
	// Output: true
}
