package fp32_test

import (
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
	for _, c := range kerneltest.SameConvs(2, 4) {
		src, w, bias := tensor.New(c.In), make([]float32, c.G.KH*c.G.KW*c.In.C/c.G.Groups*c.Out.C), make([]float32, c.Out.C)
		for _, v := range [][]float32{src.Data, w, bias} {
			for i := range v {
				v[i] = rng.Float32()*2 - 1
			}
		}
		got, want := tensor.New(c.Out), tensor.New(c.Out)
		fp32.Conv2D(got, src, w, bias, c.G, nn.ActNone)
		grown, s, plain := kerneltest.PadExplicitly(src.Data, c.In, c.G, 0)
		fp32.Conv2D(want, &tensor.Tensor{Shape: s, Data: grown}, w, bias, plain, nn.ActNone)
		if !slices.Equal(got.Data, want.Data) {
			t.Errorf("%+v: differs from the explicitly padded input", c.G)
		}
	}
}
