package arm64

import (
	"slices"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/quant"
)

// dwMaxTaps is the largest window (kh*kw) the assembly kernel's on-stack
// tap table holds: 5x5. Larger windows run q8.DepthwiseRowGo.
const dwMaxTaps = 25

// dwMinChannels is the narrowest tensor the assembly kernel handles: it
// works on 16 channels at a time and finishes a tail by moving the last
// block back, which needs at least one full block.
const dwMinChannels = 16

// depthwise is the NEON paths' depthwise kernels (both paths share them).
var depthwise = q8.DepthwiseKernel{MinChannels: dwMinChannels, MaxTaps: dwMaxTaps, Prepare: dwPrepare}

// dwRows is a depthwise layer laid out for the kernels. Output pixels whose
// windows lie wholly inside the image need no padding tests: rows with
// rowInside set, columns [colLo, colHi). taps[ky*KW+kx] is then each tap's
// byte offset from the window's top-left pixel; an odd count gets one more
// tap, of zero weights, so the kernel can take taps two at a time.
type dwRows struct {
	l            *q8.DepthwiseLayer
	w            []int8 // l.W, then C zeros if KH*KW is odd
	rowInside    []bool
	colLo, colHi int
	taps         []int64
	// pairable is false when a weight is -128: two products of -128*-128
	// would overflow the int16 sum of a tap pair. pairs is how many tap
	// pairs the padding-testing kernel sums that way: kh*kw/2, or 0.
	pairable bool
	pairs    int
}

func dwPrepare(l *q8.DepthwiseLayer) q8.DepthwiseRows {
	g, in, out, c := l.Geometry, l.In, l.Out, l.In.C
	d := &dwRows{
		l:         l,
		w:         append(slices.Clone(l.W), make([]int8, g.KH*g.KW%2*c)...),
		rowInside: make([]bool, out.H),
		taps:      make([]int64, g.KH*g.KW+g.KH*g.KW%2),
	}
	if d.pairable = !slices.Contains(l.W, quant.QMin); d.pairable {
		d.pairs = g.KH * g.KW / 2
	}
	for oy := range out.H {
		d.rowInside[oy] = !slices.ContainsFunc(l.RowOffs[oy*g.KH:(oy+1)*g.KH], func(off int32) bool { return off < 0 })
	}
	d.colLo, d.colHi = out.W, out.W
	for ox := range out.W {
		if !slices.ContainsFunc(l.ColOffs[ox*g.KW:(ox+1)*g.KW], func(off int32) bool { return off < 0 }) {
			// The inside columns are contiguous: both ends move monotonically.
			d.colLo, d.colHi = min(d.colLo, ox), ox+1
		}
	}
	for ky := range g.KH {
		for kx := range g.KW {
			d.taps[ky*g.KW+kx] = int64((ky*g.DilH*in.W + kx*g.DilW) * c)
		}
	}
	return d
}

// Row computes output row oy: an even number of the columns whose windows
// are inside the image go to the kernel without padding tests, the rest
// (edges, an odd column) to the one with.
func (d *dwRows) Row(dstRow, srcImage []int8, oy int) {
	l := d.l
	g, in, out := l.Geometry, l.In, l.Out
	lo, hi := d.colLo, d.colLo+(d.colHi-d.colLo)&^1
	if !d.rowInside[oy] || !d.pairable || lo >= hi {
		d.edge(dstRow, srcImage, oy, 0, out.W)
		return
	}
	d.edge(dstRow, srcImage, oy, 0, lo)
	c := in.C
	corner := ((oy*g.StrideH-g.PadH)*in.W + lo*g.StrideW - g.PadW) * c
	dwconv_s8_kxk_nopad_c16_fp32_neon(dstRow[lo*c:hi*c], srcImage[corner:], d.taps, d.w, l.Bias, l.Mult,
		hi-lo, c, g.StrideW*c, l.Zero, l.Lo, l.Hi)
	d.edge(dstRow, srcImage, oy, hi, out.W)
}

// edge computes output columns [x0, x1) of output row oy with the kernel
// that tests every tap for padding.
func (d *dwRows) edge(dstRow, srcImage []int8, oy, x0, x1 int) {
	if x0 >= x1 {
		return
	}
	l := d.l
	g, c := l.Geometry, l.In.C
	dwconv_s8_kxk_c16_fp32_neon(dstRow[x0*c:x1*c], srcImage, l.ZeroPad, l.RowOffs[oy*g.KH:(oy+1)*g.KH], l.ColOffs[x0*g.KW:x1*g.KW],
		d.w, l.Bias, l.Mult, x1-x0, c, g.KH, g.KW, d.pairs, l.Zero, l.Lo, l.Hi)
}

// dwconvNoPadGo computes width output pixels whose windows lie inside the
// image: the window of pixel x starts at src[x*stride], tap t reads
// channel c at src[x*stride+taps[t]+c], and
//
//	acc = bias[c] + sum over t of in * w[t*channels+c]
//
// is requantized with mult[c].
func dwconvNoPadGo(dst, src []int8, taps []int64, w []int8, bias []int32, mult []float32, width, channels, stride int, zero, lo, hi int32) {
	for x := range width {
		window := src[x*stride:]
		res := dst[x*channels : (x+1)*channels]
		for c := range res {
			acc := bias[c]
			for t, off := range taps {
				acc += int32(window[int(off)+c]) * int32(w[t*channels+c])
			}
			res[c] = quant.Requantize(acc, mult[c], zero, lo, hi)
		}
	}
}
