package q8

import "neonet.dev/neonet/quant"

// The portable loops: plain Go with the contracts of the microkernels that
// have no reference function of the same shape. The operators run them
// where a microkernel does not apply, and the arch packages' Go twins run
// them in place of the assembly.

// MaxPoolWindowGo writes the maximum over a winH x winW window whose
// top-left pixel starts src (rows rowStride values apart, pixels channels
// apart), or -128 for an empty window.
func MaxPoolWindowGo(dst, src []int8, channels, winH, winW, rowStride int) {
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

// AvgPoolWindowGo requantizes corr plus the sum over the same window walk
// as MaxPoolWindowGo.
func AvgPoolWindowGo(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, zero, lo, hi int32) {
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

// MulChannelsGo rescales channels [c0, c1) of pixels pixels (channels
// apart) as q8ref.MulChannels does: (x-zX)*(s-zS) requantized with mult.
func MulChannelsGo(dst, x, s []int8, pixels, channels, c0, c1 int, zX, zS int32, mult float32, zero, lo, hi int32) {
	for p := range pixels {
		in, res := x[p*channels:][c0:c1], dst[p*channels:][c0:c1]
		for i, v := range in {
			acc := (int32(v) - zX) * (int32(s[c0+i]) - zS)
			res[i] = quant.Requantize(acc, mult, zero, lo, hi)
		}
	}
}

// DepthwiseRowGo computes width output pixels of one output row of a
// depthwise convolution: for pixel x and channel c,
//
//	acc = bias[c] + sum over (ky, kx) of in * w[(ky*kw+kx)*channels+c]
//
// where in is src[rowOffs[ky]+colOffs[x*kw+kx]+c], or zeroPad[c] when
// either offset is negative (padding), then requantizes acc with mult[c].
func DepthwiseRowGo(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw int, zero, lo, hi int32) {
	for x := range width {
		cols := colOffs[x*kw : (x+1)*kw]
		res := dst[x*channels : (x+1)*channels]
		for c := range res {
			acc := bias[c]
			for ky, r := range rowOffs[:kh] {
				for kx, col := range cols {
					v := zeroPad[c]
					if r|col >= 0 {
						v = src[int(r)+int(col)+c]
					}
					acc += int32(v) * int32(w[(ky*kw+kx)*channels+c])
				}
			}
			res[c] = quant.Requantize(acc, mult[c], zero, lo, hi)
		}
	}
}
