package q8ref_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/tensor"
)

// TensorFlow's SAME padding, dense and depthwise: the convolution equals
// the same one without padding on the input with the padding's input zero
// points written in.
func TestSamePaddingIsExplicitZeroPoints(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	for _, c := range kerneltest.SameConvs(2, 16) {
		src := kerneltest.RandomTensor(rng, c.In)
		w := kerneltest.RandomInt8s(rng, c.G.KH*c.G.KW*c.In.C/c.G.Groups*c.Out.C)
		bias := make([]int32, c.Out.C)
		inZero := int32(rng.IntN(256) - 128)
		o := kerneltest.RandomOutput(rng, c.Out.C, true)
		got, want := tensor.NewInt8(c.Out), tensor.NewInt8(c.Out)
		q8ref.Conv2D(got, src, w, bias, c.G, inZero, o, make([]int32, c.Out.C))
		grown, s, plain := kerneltest.PadExplicitly(src.Data, c.In, c.G, int8(inZero))
		q8ref.Conv2D(want, &tensor.Int8{Shape: s, Data: grown}, w, bias, plain, inZero, o, make([]int32, c.Out.C))
		if !slices.Equal(got.Data, want.Data) {
			t.Errorf("%+v: differs from the explicitly padded input", c.G)
		}
	}
}
