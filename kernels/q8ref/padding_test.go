package q8ref_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// TensorFlow's SAME padding, dense and depthwise: the convolution equals
// the same one without padding on the input with the padding's input zero
// points written in.
func TestSamePaddingIsExplicitZeroPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	const cin = 16
	for _, c := range kerneltest.SameCases {
		for _, groups := range []int{1, cin} {
			g := nn.ConvGeometry{KH: c.K, KW: c.K, StrideH: c.Stride, StrideW: c.Stride, DilH: 1, DilW: 1, Groups: groups}.WithSamePadding(c.H, c.W)
			in := tensor.Shape{N: 2, H: c.H, W: c.W, C: cin}
			oh, ow := g.OutSize(c.H, c.W)
			out := tensor.Shape{N: 2, H: oh, W: ow, C: cin}
			src := kerneltest.RandomTensor(rng, in)
			w := kerneltest.RandomInt8s(rng, c.K*c.K*cin/groups*out.C)
			bias := make([]int32, out.C)
			inZero := int32(rng.IntN(256) - 128)
			o := kerneltest.RandomOutput(rng, out.C, true)
			got, want := tensor.NewInt8(out), tensor.NewInt8(out)
			q8ref.Conv2D(got, src, w, bias, g, inZero, o, make([]int32, out.C))
			grown, s, plain := kerneltest.PadExplicitly(src.Data, in, g, int8(inZero))
			if h, w := plain.OutSize(s.H, s.W); h != oh || w != ow {
				t.Fatalf("%+v: explicit padding gives %dx%d, want %dx%d", g, h, w, oh, ow)
			}
			q8ref.Conv2D(want, &tensor.Int8{Shape: s, Data: grown}, w, bias, plain, inZero, o, make([]int32, out.C))
			if !slices.Equal(got.Data, want.Data) {
				t.Errorf("%s: differs from the explicitly padded input", fmt.Sprintf("%+v", g))
			}
		}
	}
}
