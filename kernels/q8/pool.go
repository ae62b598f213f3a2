package q8

import (
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// MaxPool takes the maximum of each window on the kernels k (nil: the
// reference), exactly as q8ref.MaxPool. dst must not overlap src.
func MaxPool(k *Kernels, dst, src *tensor.Int8, g nn.PoolGeometry) {
	if k == nil {
		q8ref.MaxPool(dst, src, g)
		return
	}
	poolWindows(k, dst, src, g, false, 0, q8ref.Output{})
}

// AvgPool averages each window on the kernels k (nil: the reference),
// exactly as q8ref.AvgPool: the window's values minus zIn are summed in
// int32 and requantized with float32(ratio/float32(count)), ratio =
// o.Multipliers[0] and count the divisor of g.CountIncludePad. dst must
// not overlap src.
func AvgPool(k *Kernels, dst, src *tensor.Int8, g nn.PoolGeometry, zIn int32, o q8ref.Output) {
	if k == nil {
		q8ref.AvgPool(dst, src, g, zIn, o)
		return
	}
	poolWindows(k, dst, src, g, true, zIn, o)
}

// GlobalAvgPool averages each channel over the image on the kernels k
// (nil: the reference), exactly as q8ref.GlobalAvgPool; dst is [N,1,1,C].
func GlobalAvgPool(k *Kernels, dst, src *tensor.Int8, zIn int32, o q8ref.Output) {
	if k == nil {
		q8ref.GlobalAvgPool(dst, src, zIn, o)
		return
	}
	s := src.Shape
	pixels := s.H * s.W
	m := float32(o.Multipliers[0] / float32(pixels))
	avgWindow, rq := k.AvgPoolWindow, NewRequant(o.Zero, o.Lo, o.Hi)
	if s.C < block {
		avgWindow = avgPoolWindowGo
	}
	for n := range s.N {
		image := src.Data[n*pixels*s.C : (n+1)*pixels*s.C]
		// The image is one row of H*W pixels.
		avgWindow(dst.Data[n*s.C:(n+1)*s.C], image, s.C, 1, pixels, 0, -int32(pixels)*zIn, m, rq)
	}
}

// poolWindows runs a max pool, or an average pool of input zero point zIn
// written as o says, one window kernel call per output pixel: the window
// runs from its top-left input pixel to its bottom-right one, clipped to
// the image (0 x 0 when it is empty). Tensors of fewer than 16 channels run
// the portable loops.
func poolWindows(k *Kernels, dst, src *tensor.Int8, g nn.PoolGeometry, average bool, zIn int32, o q8ref.Output) {
	in, out := src.Shape, dst.Shape
	c, rowStride := in.C, in.W*in.C
	maxWindow, avgWindow := k.MaxPoolWindow, k.AvgPoolWindow
	if c < block {
		maxWindow, avgWindow = MaxPoolWindowGo, avgPoolWindowGo
	}
	var ratio float32
	if average {
		ratio = o.Multipliers[0]
	}
	rq := NewRequant(o.Zero, o.Lo, o.Hi)
	next := 0 // where the output pixel's channels start in dst
	for n := range out.N {
		for oy := range out.H {
			y0, y1, ph := nn.PoolWindow(oy, g.KH, g.StrideH, g.PadH, in.H)
			for ox := range out.W {
				x0, x1, pw := nn.PoolWindow(ox, g.KW, g.StrideW, g.PadW, in.W)
				res := dst.Data[next : next+c]
				next += c
				winH, winW := max(y1-y0, 0), max(x1-x0, 0)
				var win []int8
				if winH > 0 && winW > 0 {
					start := ((n*in.H+y0)*in.W + x0) * c
					win = src.Data[start : start+((winH-1)*in.W+winW)*c]
				} else {
					winH, winW = 0, 0
				}
				if !average {
					maxWindow(res, win, c, winH, winW, rowStride)
					continue
				}
				count := winH * winW
				if g.CountIncludePad {
					count = ph * pw
				}
				avgWindow(res, win, c, winH, winW, rowStride, -int32(winH*winW)*zIn, float32(ratio/float32(count)), rq)
			}
		}
	}
}

// avgPoolWindowGo is AvgPoolWindowGo with a kernel's signature.
func avgPoolWindowGo(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq Requant) {
	AvgPoolWindowGo(dst, src, channels, winH, winW, rowStride, corr, mult, rq.Zero, rq.Lo, rq.Hi)
}
