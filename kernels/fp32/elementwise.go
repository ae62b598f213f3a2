package fp32

import (
	"math"

	"neonet.dev/neonet/nn"

	"neonet.dev/neonet/tensor"
)

// Add writes act(a + b) for two tensors of the same shape (a residual
// connection).
func Add(dst, a, b *tensor.Tensor, act nn.Activation) {
	x, y := a.Data, b.Data[:len(a.Data)]
	out := dst.Data[:len(a.Data)]
	for i := range out {
		out[i] = act.Apply(x[i] + y[i])
	}
}

// MulChannels scales every pixel of x channel by channel: dst[n,y,x,c] =
// x[n,y,x,c] * scale[n,0,0,c]. This is the excitation step of a
// squeeze-and-excitation block.
func MulChannels(dst, x, scale *tensor.Tensor) {
	s := x.Shape
	for n := 0; n < s.N; n++ {
		sc := scale.Pixel(n, 0, 0)
		for y := 0; y < s.H; y++ {
			for xx := 0; xx < s.W; xx++ {
				out, in := dst.Pixel(n, y, xx), x.Pixel(n, y, xx)
				for c := range out {
					out[c] = in[c] * sc[c]
				}
			}
		}
	}
}

// ChannelAffine writes act(src * scale[c] + shift[c]): a batch norm at
// inference when it cannot be folded into a neighbouring convolution.
func ChannelAffine(dst, src *tensor.Tensor, scale, shift []float32, act nn.Activation) {
	c := src.Shape.C
	for p := 0; p < len(src.Data); p += c {
		in, out := src.Data[p:p+c], dst.Data[p:p+c]
		for i := range out {
			out[i] = act.Apply(in[i]*scale[i] + shift[i])
		}
	}
}

// Concat joins tensors along the channel axis, in order.
func Concat(dst *tensor.Tensor, srcs []*tensor.Tensor) {
	s := dst.Shape
	for n := 0; n < s.N; n++ {
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				out := dst.Pixel(n, y, x)
				for _, src := range srcs {
					out = out[copy(out, src.Pixel(n, y, x)):]
				}
			}
		}
	}
}

// Softmax writes exp(x - max) / sum(exp(x - max)) for each row of length
// row; subtracting the maximum keeps exp from overflowing.
func Softmax(dst, src []float32, row int) {
	for r := 0; r+row <= len(src); r += row {
		in, out := src[r:r+row], dst[r:r+row]
		m := in[0]
		for _, v := range in {
			m = max(m, v)
		}
		var sum float64
		for i, v := range in {
			e := math.Exp(float64(v - m))
			out[i] = float32(e)
			sum += e
		}
		for i := range out {
			out[i] = float32(float64(out[i]) / sum)
		}
	}
}
