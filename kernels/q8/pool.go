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
	rowStride := src.Shape.W * src.Shape.C
	poolEach(dst, src, g, func(res, win []int8, winH, winW, _ int) {
		if len(res) >= block {
			k.MaxPoolWindow(res, win, len(res), winH, winW, rowStride)
		} else {
			MaxPoolWindowGo(res, win, len(res), winH, winW, rowStride)
		}
	})
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
	ratio := o.Multipliers[0]
	rowStride := src.Shape.W * src.Shape.C
	poolEach(dst, src, g, func(res, win []int8, winH, winW, padded int) {
		count := winH * winW
		if g.CountIncludePad {
			count = padded
		}
		avgPoolWindow(k, res, win, winH, winW, rowStride, winH*winW, float32(ratio/float32(count)), zIn, o)
	})
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
	for n := range s.N {
		image := src.Data[n*pixels*s.C : (n+1)*pixels*s.C]
		// The image is one row of H*W pixels.
		avgPoolWindow(k, dst.Data[n*s.C:(n+1)*s.C], image, 1, pixels, 0, pixels, m, zIn, o)
	}
}

// avgPoolWindow requantizes the sums of one window of count values per
// channel.
func avgPoolWindow(k *Kernels, res, win []int8, winH, winW, rowStride, count int, m float32, zIn int32, o q8ref.Output) {
	corr := -int32(count) * zIn
	if len(res) >= block {
		k.AvgPoolWindow(res, win, len(res), winH, winW, rowStride, corr, m, o.Zero, o.Lo, o.Hi)
	} else {
		AvgPoolWindowGo(res, win, len(res), winH, winW, rowStride, corr, m, o.Zero, o.Lo, o.Hi)
	}
}

// poolEach calls window for every output pixel with its channels, the
// input from the window's top-left pixel to its bottom-right one, the
// window's clipped size (0 x 0 when it is empty) and its size clipped only
// to the padding.
func poolEach(dst, src *tensor.Int8, g nn.PoolGeometry, window func(res, win []int8, winH, winW, padded int)) {
	in, out := src.Shape, dst.Shape
	c := in.C
	for n := range out.N {
		for oy := range out.H {
			y0, y1, ph := nn.PoolWindow(oy, g.KH, g.StrideH, g.PadH, in.H)
			for ox := range out.W {
				x0, x1, pw := nn.PoolWindow(ox, g.KW, g.StrideW, g.PadW, in.W)
				res := dst.Pixel(n, oy, ox)
				winH, winW := max(y1-y0, 0), max(x1-x0, 0)
				var win []int8
				if winH > 0 && winW > 0 {
					start := ((n*in.H+y0)*in.W + x0) * c
					win = src.Data[start : start+((winH-1)*in.W+winW)*c]
				} else {
					winH, winW = 0, 0
				}
				window(res, win, winH, winW, ph*pw)
			}
		}
	}
}
