package kernels

import (
	"math"

	"neonet.dev/neonet/tensor"
)

// PoolGeometry describes a max or average pooling window, as PyTorch's
// MaxPool2d and AvgPool2d arguments do.
type PoolGeometry struct {
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	// CeilMode rounds the output size up, so a partial window at the
	// bottom/right edge still produces an output (SqueezeNet uses it).
	CeilMode bool
	// CountIncludePad makes an average divide by the window size clipped to
	// the padded input, rather than by the number of real input values.
	CountIncludePad bool
}

// OutSize is the output height and width for an h x w input, with PyTorch's
// rule that a window must start inside the input or its left padding.
func (p PoolGeometry) OutSize(h, w int) (int, int) {
	return poolOut(h, p.KH, p.StrideH, p.PadH, p.CeilMode), poolOut(w, p.KW, p.StrideW, p.PadW, p.CeilMode)
}

func poolOut(in, k, stride, pad int, ceil bool) int {
	span := in + 2*pad - k
	out := windowCount(span, stride)
	if ceil && out > 0 {
		out = (span+stride-1)/stride + 1
		if (out-1)*stride >= in+pad {
			out-- // the last window would start in the right padding
		}
	}
	return out
}

// PoolWindow is the input range [lo, hi) that output o's pooling window
// covers along one axis, clipped to the input, and the window's size
// clipped only to the padding (the divisor when padding counts).
func PoolWindow(o, k, stride, pad, in int) (lo, hi, padded int) {
	start := o*stride - pad
	end := min(start+k, in+pad)
	padded = end - start
	return max(start, 0), min(end, in), padded
}

// MaxPool writes the maximum of each window; padding never wins.
func MaxPool(dst, src *tensor.Tensor, p PoolGeometry) {
	in, out := src.Shape, dst.Shape
	for n := 0; n < out.N; n++ {
		for oy := 0; oy < out.H; oy++ {
			y0, y1, _ := PoolWindow(oy, p.KH, p.StrideH, p.PadH, in.H)
			for ox := 0; ox < out.W; ox++ {
				x0, x1, _ := PoolWindow(ox, p.KW, p.StrideW, p.PadW, in.W)
				acc := dst.Pixel(n, oy, ox)
				for c := range acc {
					acc[c] = float32(math.Inf(-1))
				}
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						for c, v := range src.Pixel(n, y, x) {
							acc[c] = max(acc[c], v)
						}
					}
				}
			}
		}
	}
}

// AvgPool writes the mean of each window (see CountIncludePad for the
// divisor).
func AvgPool(dst, src *tensor.Tensor, p PoolGeometry) {
	in, out := src.Shape, dst.Shape
	for n := 0; n < out.N; n++ {
		for oy := 0; oy < out.H; oy++ {
			y0, y1, ph := PoolWindow(oy, p.KH, p.StrideH, p.PadH, in.H)
			for ox := 0; ox < out.W; ox++ {
				x0, x1, pw := PoolWindow(ox, p.KW, p.StrideW, p.PadW, in.W)
				acc := dst.Pixel(n, oy, ox)
				clear(acc)
				for y := y0; y < y1; y++ {
					for x := x0; x < x1; x++ {
						for c, v := range src.Pixel(n, y, x) {
							acc[c] += v
						}
					}
				}
				count := (y1 - y0) * (x1 - x0)
				if p.CountIncludePad {
					count = ph * pw
				}
				for c := range acc {
					acc[c] /= float32(count)
				}
			}
		}
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
