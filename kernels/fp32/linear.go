package fp32

import (
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Linear computes a fully connected layer on [N, 1, 1, In] tensors:
// dst[n][o] = act(bias[o] + sum_i w[o][i] * src[n][i]), with w in PyTorch's
// [Out][In] row-major layout (each output is one dot product over a
// contiguous row). bias may be nil.
func Linear(dst, src *tensor.Tensor, w, bias []float32, act nn.Activation) {
	in, out := src.Shape.C, dst.Shape.C
	for n := 0; n < src.Shape.N; n++ {
		x := src.Data[n*in : (n+1)*in]
		y := dst.Data[n*out : (n+1)*out]
		for o := range y {
			var acc float32
			if bias != nil {
				acc = bias[o]
			}
			row := w[o*in : (o+1)*in]
			for i, v := range x {
				acc += row[i] * v
			}
			y[o] = act.Apply(acc)
		}
	}
}

// Flatten turns [N, H, W, C] into [N, 1, 1, C*H*W] in PyTorch's order
// (channel-major, as torch.flatten does on NCHW), so a following Linear
// layer can use PyTorch's weights unchanged.
func Flatten(dst, src *tensor.Tensor) {
	s := src.Shape
	for n := 0; n < s.N; n++ {
		out := dst.Pixel(n, 0, 0)
		for c := 0; c < s.C; c++ {
			for y := 0; y < s.H; y++ {
				for x := 0; x < s.W; x++ {
					out[(c*s.H+y)*s.W+x] = src.At(n, y, x, c)
				}
			}
		}
	}
}
