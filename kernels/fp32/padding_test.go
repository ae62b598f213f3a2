package fp32_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"neonet.dev/neonet/kernels/fp32"
	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// TensorFlow's SAME padding, dense and depthwise: the convolution equals
// the same one without padding on the input with the zeros written in.
func TestSamePaddingIsExplicitZeros(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	const cin = 4
	for _, c := range kerneltest.SameCases {
		for _, groups := range []int{1, cin} {
			g := nn.ConvGeometry{KH: c.K, KW: c.K, StrideH: c.Stride, StrideW: c.Stride, DilH: 1, DilW: 1, Groups: groups}.WithSamePadding(c.H, c.W)
			in := tensor.Shape{N: 2, H: c.H, W: c.W, C: cin}
			oh, ow := g.OutSize(c.H, c.W)
			out := tensor.Shape{N: 2, H: oh, W: ow, C: 8}
			src, w, bias := tensor.New(in), make([]float32, c.K*c.K*cin/groups*out.C), make([]float32, out.C)
			for _, v := range [][]float32{src.Data, w, bias} {
				for i := range v {
					v[i] = rng.Float32()*2 - 1
				}
			}
			got, want := tensor.New(out), tensor.New(out)
			fp32.Conv2D(got, src, w, bias, g, nn.ActNone)
			grown, s, plain := kerneltest.PadExplicitly(src.Data, in, g, 0)
			if h, w := plain.OutSize(s.H, s.W); h != oh || w != ow {
				t.Fatalf("%+v: explicit padding gives %dx%d, want %dx%d", g, h, w, oh, ow)
			}
			fp32.Conv2D(want, &tensor.Tensor{Shape: s, Data: grown}, w, bias, plain, nn.ActNone)
			if !slices.Equal(got.Data, want.Data) {
				t.Errorf("%s: differs from the explicitly padded input", fmt.Sprintf("%+v", g))
			}
		}
	}
}
