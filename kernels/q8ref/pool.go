package q8ref

import (
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// MaxPool takes the maximum of each window; quantization is monotonic, so
// this is the float maximum and the parameters are unchanged. Padding never
// wins.
func MaxPool(dst, src *tensor.Int8, p nn.PoolGeometry) {
	in, os := src.Shape, dst.Shape
	for n := range os.N {
		p.Windows(in.H, in.W, os.H, os.W, func(oy, ox int, w nn.Window) {
			res := dst.Pixel(n, oy, ox)
			for c := range res {
				res[c] = quant.QMin
			}
			for y := w.Y0; y < w.Y1; y++ {
				for x := w.X0; x < w.X1; x++ {
					for c, v := range src.Pixel(n, y, x) {
						res[c] = max(res[c], v)
					}
				}
			}
		})
	}
}

// AvgPool averages each window:
//
//	acc = sum of (x - zIn) over the window's input pixels
//	dst = Requantize(acc, float32(ratio / float32(count)), zOut, lo, hi)
//
// where ratio = sIn/sOut (out.Multipliers[0]) and count is the divisor
// PyTorch uses (see nn.PoolGeometry.CountIncludePad); padded
// positions are real zeros and add nothing.
func AvgPool(dst, src *tensor.Int8, p nn.PoolGeometry, zIn int32, out Output) {
	in, os := src.Shape, dst.Shape
	ratio := out.Multipliers[0]
	for n := range os.N {
		p.Windows(in.H, in.W, os.H, os.W, func(oy, ox int, w nn.Window) {
			m := float32(ratio / float32(w.Count))
			res := dst.Pixel(n, oy, ox)
			for c := range res {
				var acc int32
				for y := w.Y0; y < w.Y1; y++ {
					for x := w.X0; x < w.X1; x++ {
						acc += int32(src.Pixel(n, y, x)[c]) - zIn
					}
				}
				res[c] = quant.Requantize(acc, m, out.Zero, out.Lo, out.Hi)
			}
		})
	}
}

// GlobalAvgPool averages each channel over the image, as AvgPool with one
// window covering everything: count = H*W.
func GlobalAvgPool(dst, src *tensor.Int8, zIn int32, out Output) {
	s := src.Shape
	m := float32(out.Multipliers[0] / float32(s.H*s.W))
	for n := 0; n < s.N; n++ {
		res := dst.Pixel(n, 0, 0)
		for c := range res {
			var acc int32
			for p := 0; p < s.H*s.W; p++ {
				acc += int32(src.Data[(n*s.H*s.W+p)*s.C+c]) - zIn
			}
			res[c] = quant.Requantize(acc, m, out.Zero, out.Lo, out.Hi)
		}
	}
}

// Shift moves each channel by its offset; positions from outside the image
// become zero, the real 0 of the tensor's parameters.
func Shift(dst, src *tensor.Int8, offsets []nn.Offset, zero int8) {
	s := src.Shape
	for n := 0; n < s.N; n++ {
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				res := dst.Pixel(n, y, x)
				for c, o := range offsets[:s.C] {
					sy, sx := y+o.DY, x+o.DX
					if sy < 0 || sy >= s.H || sx < 0 || sx >= s.W {
						res[c] = zero
						continue
					}
					res[c] = src.Pixel(n, sy, sx)[c]
				}
			}
		}
	}
}
