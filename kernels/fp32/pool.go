package fp32

import (
	"math"

	"neonet.dev/neonet/nn"

	"neonet.dev/neonet/tensor"
)

// MaxPool writes the maximum of each window; padding never wins.
func MaxPool(dst, src *tensor.Tensor, p nn.PoolGeometry) {
	in, out := src.Shape, dst.Shape
	for n := range out.N {
		p.Windows(in.H, in.W, out.H, out.W, func(oy, ox int, w nn.Window) {
			acc := dst.Pixel(n, oy, ox)
			for c := range acc {
				acc[c] = float32(math.Inf(-1))
			}
			for y := w.Y0; y < w.Y1; y++ {
				for x := w.X0; x < w.X1; x++ {
					for c, v := range src.Pixel(n, y, x) {
						acc[c] = max(acc[c], v)
					}
				}
			}
		})
	}
}

// AvgPool writes the mean of each window (see CountIncludePad for the
// divisor).
func AvgPool(dst, src *tensor.Tensor, p nn.PoolGeometry) {
	in, out := src.Shape, dst.Shape
	for n := range out.N {
		p.Windows(in.H, in.W, out.H, out.W, func(oy, ox int, w nn.Window) {
			acc := dst.Pixel(n, oy, ox)
			clear(acc)
			for y := w.Y0; y < w.Y1; y++ {
				for x := w.X0; x < w.X1; x++ {
					for c, v := range src.Pixel(n, y, x) {
						acc[c] += v
					}
				}
			}
			for c := range acc {
				acc[c] /= float32(w.Count)
			}
		})
	}
}

// GlobalAvgPool averages each channel over the whole image: dst is
// [N, 1, 1, C]. It is PyTorch's AdaptiveAvgPool2d(1).
func GlobalAvgPool(dst, src *tensor.Tensor) {
	in := src.Shape
	for n := 0; n < in.N; n++ {
		acc := dst.Pixel(n, 0, 0)
		clear(acc)
		for y := 0; y < in.H; y++ {
			for x := 0; x < in.W; x++ {
				for c, v := range src.Pixel(n, y, x) {
					acc[c] += v
				}
			}
		}
		for c := range acc {
			acc[c] /= float32(in.H * in.W)
		}
	}
}
