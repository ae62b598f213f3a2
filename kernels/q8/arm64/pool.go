package arm64

import (
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// poolMinChannels is the narrowest tensor the pooling kernels vectorize
// (one full block of 16; see maxpool_s8_c16_neon). Narrower tensors run
// the Go window functions.
const poolMinChannels = 16

// MaxPool takes the maximum of each window, exactly as q8ref.MaxPool. dst must
// not overlap src.
func MaxPool(p Path, dst, src *tensor.Int8, g nn.PoolGeometry) {
	if p == Ref {
		q8ref.MaxPool(dst, src, g)
		return
	}
	poolEach(dst, src, g, func(res, win []int8, winH, winW, _ int) {
		if len(res) >= poolMinChannels {
			maxpool_s8_c16_neon(res, win, len(res), winH, winW, src.Shape.W*src.Shape.C)
		} else {
			maxpoolWindowGo(res, win, len(res), winH, winW, src.Shape.W*src.Shape.C)
		}
	})
}

// AvgPool averages each window, exactly as q8ref.AvgPool: the window's
// values minus zIn are summed in int32 and requantized with
// float32(ratio/float32(count)), ratio = o.Multipliers[0] and count the
// divisor of g.CountIncludePad. dst must not overlap src.
func AvgPool(p Path, dst, src *tensor.Int8, g nn.PoolGeometry, zIn int32, o q8ref.Output) {
	if p == Ref {
		q8ref.AvgPool(dst, src, g, zIn, o)
		return
	}
	ratio := o.Multipliers[0]
	poolEach(dst, src, g, func(res, win []int8, winH, winW, padded int) {
		count := winH * winW
		if g.CountIncludePad {
			count = padded
		}
		poolAvgWindow(res, win, winH, winW, src.Shape.W*src.Shape.C, winH*winW, float32(ratio/float32(count)), zIn, o)
	})
}

// GlobalAvgPool averages each channel over the image, exactly as
// q8ref.GlobalAvgPool; dst is [N,1,1,C].
func GlobalAvgPool(p Path, dst, src *tensor.Int8, zIn int32, o q8ref.Output) {
	if p == Ref {
		q8ref.GlobalAvgPool(dst, src, zIn, o)
		return
	}
	s := src.Shape
	pixels := s.H * s.W
	m := float32(o.Multipliers[0] / float32(pixels))
	for n := range s.N {
		image := src.Data[n*pixels*s.C : (n+1)*pixels*s.C]
		// The image is one row of H*W pixels.
		poolAvgWindow(dst.Data[n*s.C:(n+1)*s.C], image, 1, pixels, 0, pixels, m, zIn, o)
	}
}

// poolAvgWindow requantizes the sums of one window of count values per channel.
func poolAvgWindow(res, win []int8, winH, winW, rowStride, count int, m float32, zIn int32, o q8ref.Output) {
	corr := -int32(count) * zIn
	if len(res) >= poolMinChannels {
		avgpool_s8_c16_fp32_neon(res, win, len(res), winH, winW, rowStride, corr, m, o.Zero, o.Lo, o.Hi)
	} else {
		avgpoolWindowGo(res, win, len(res), winH, winW, rowStride, corr, m, o.Zero, o.Lo, o.Hi)
	}
}

// poolEach calls window for every output pixel with its channels, the
// input from the window's top-left pixel to its bottom-right one, the
// window's clipped size and its size clipped only to the padding.
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
				}
				window(res, win, winH, winW, ph*pw)
			}
		}
	}
}

// maxpoolWindowGo writes the maximum over a winH x winW window whose
// top-left pixel starts src (rows rowStride values apart), or -128 for an
// empty window.
func maxpoolWindowGo(dst, src []int8, channels, winH, winW, rowStride int) {
	for c := range dst[:channels] {
		m := int8(quant.QMin)
		for y := range winH {
			for x := range winW {
				m = max(m, src[y*rowStride+x*channels+c])
			}
		}
		dst[c] = m
	}
}

// avgpoolWindowGo requantizes corr plus the sum over the same window walk
// as maxpoolWindowGo.
func avgpoolWindowGo(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, zero, lo, hi int32) {
	for c := range dst[:channels] {
		acc := corr
		for y := range winH {
			for x := range winW {
				acc += int32(src[y*rowStride+x*channels+c])
			}
		}
		dst[c] = quant.Requantize(acc, mult, zero, lo, hi)
	}
}
