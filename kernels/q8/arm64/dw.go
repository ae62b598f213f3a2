package arm64

import (
	"fmt"
	"slices"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// dwMaxTaps is the largest window (kh*kw) the assembly kernel's on-stack
// tap table holds: 5x5. Larger windows run the Go row kernel.
const dwMaxTaps = 25

// dwMinChannels is the narrowest tensor the assembly kernel handles: it
// works on 16 channels at a time and finishes a tail by moving the last
// block back, which needs at least one full block.
const dwMinChannels = 16

// Depthwise is an int8 depthwise convolution (groups = channels, one
// weight plane per channel) with its weights and padding tables prepared
// once for fixed input and output shapes. Run allocates nothing.
//
// It computes exactly what q8ref.Conv2D computes:
//
//	acc[c] = bias[c] + sum over taps of x[c] * w[ky][kx][c]  (x = inZero in the padding)
//	dst[c] = quant.Requantize(acc[c], multiplier[c], zero, lo, hi)
type Depthwise struct {
	path    Path
	geo     nn.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8ref.Output

	w       []int8    // [KH][KW][C], a private copy, then C zeros if KH*KW is odd
	bias    []int32   // [C]
	mult    []float32 // [C], a shared multiplier repeated
	zeroPad []int8    // C copies of inZero: what padding taps read
	// rowOffs[oy*KH+ky] is the byte offset of input row iy in an image,
	// colOffs[ox*KW+kx] that of input column ix in a row, or -1 when the
	// tap falls in the padding.
	rowOffs, colOffs []int32
	// Output pixels whose windows lie wholly inside the image need no
	// padding tests: rows with rowInside set, columns [colLo, colHi).
	// taps[ky*KW+kx] is then each tap's byte offset from the window's
	// top-left pixel; an odd count gets one more tap, of zero weights, so
	// the kernel can take taps two at a time.
	rowInside    []bool
	colLo, colHi int
	taps         []int64
	// pairable is false when a weight is -128: two products of -128*-128
	// would overflow the int16 sum of a tap pair. pairs is how many tap
	// pairs the padding-testing kernel sums that way: kh*kw/2, or 0.
	pairable bool
	pairs    int
	acc      []int32 // scratch for the reference path
}

// NewDepthwise prepares a depthwise convolution of in into out. w is laid
// out [KH][KW][C] (q8's packing with Cin/groups = 1), bias has the input
// zero-point correction folded in as for q8ref.Conv2D, and o.Multipliers has
// one value per channel or one shared value.
func NewDepthwise(p Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*Depthwise, error) {
	c := in.C
	switch {
	case p > NEONDot:
		return nil, fmt.Errorf("depthwise: unknown path %v", p)
	case c < 1 || g.Groups != c || out.C != c:
		return nil, fmt.Errorf("depthwise: groups %d, input channels %d and output channels %d must be equal", g.Groups, c, out.C)
	case g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 || g.PadH < 0 || g.PadW < 0:
		return nil, fmt.Errorf("depthwise: invalid geometry %+v", g)
	case len(w) != g.KH*g.KW*c:
		return nil, fmt.Errorf("depthwise: %d weights, want %dx%dx%d", len(w), g.KH, g.KW, c)
	case len(bias) != c:
		return nil, fmt.Errorf("depthwise: %d biases for %d channels", len(bias), c)
	case len(o.Multipliers) != 1 && len(o.Multipliers) != c:
		return nil, fmt.Errorf("depthwise: %d multipliers for %d channels", len(o.Multipliers), c)
	case inZero < quant.QMin || inZero > quant.QMax:
		return nil, fmt.Errorf("depthwise: input zero point %d outside int8", inZero)
	case o.Lo < quant.QMin || o.Hi > quant.QMax || o.Lo > o.Hi:
		return nil, fmt.Errorf("depthwise: clamp [%d, %d] outside int8", o.Lo, o.Hi)
	case in.N < 1 || in.H < 1 || in.W < 1 || out.N != in.N:
		return nil, fmt.Errorf("depthwise: input %v, output %v", in, out)
	}
	if oh, ow := g.OutSize(in.H, in.W); out.H != oh || out.W != ow {
		return nil, fmt.Errorf("depthwise: output %v, want %dx%d for input %v", out, oh, ow, in)
	}
	if int64(in.H)*int64(in.W)*int64(c) > 1<<31-1 {
		return nil, fmt.Errorf("depthwise: input %v too large for 32-bit offsets", in)
	}
	d := &Depthwise{
		path: p, geo: g, in: in, out: out, inZero: inZero, output: o,
		w:         append(append([]int8(nil), w...), make([]int8, g.KH*g.KW%2*c)...),
		bias:      append([]int32(nil), bias...),
		mult:      make([]float32, c),
		zeroPad:   make([]int8, c),
		rowOffs:   make([]int32, out.H*g.KH),
		colOffs:   make([]int32, out.W*g.KW),
		taps:      make([]int64, g.KH*g.KW+g.KH*g.KW%2),
		rowInside: make([]bool, out.H),
		acc:       make([]int32, c),
	}
	d.output.Multipliers = append([]float32(nil), o.Multipliers...)
	for i := range d.mult {
		d.mult[i] = d.output.Multipliers[min(i, len(o.Multipliers)-1)]
		d.zeroPad[i] = int8(inZero)
	}
	if d.pairable = !slices.Contains(w, quant.QMin); d.pairable {
		d.pairs = g.KH * g.KW / 2
	}
	for oy := range out.H {
		d.rowInside[oy] = true
		for ky := range g.KH {
			off := dwOffset(oy*g.StrideH-g.PadH+ky*g.DilH, in.H, in.W*c)
			d.rowOffs[oy*g.KH+ky] = off
			d.rowInside[oy] = d.rowInside[oy] && off >= 0
		}
	}
	d.colLo, d.colHi = out.W, out.W
	for ox := range out.W {
		inside := true
		for kx := range g.KW {
			off := dwOffset(ox*g.StrideW-g.PadW+kx*g.DilW, in.W, c)
			d.colOffs[ox*g.KW+kx] = off
			inside = inside && off >= 0
		}
		if inside { // the inside columns are contiguous: both ends move monotonically
			d.colLo, d.colHi = min(d.colLo, ox), ox+1
		}
	}
	for ky := range g.KH {
		for kx := range g.KW {
			d.taps[ky*g.KW+kx] = int64((ky*g.DilH*in.W + kx*g.DilW) * c)
		}
	}
	return d, nil
}

// dwOffset is i*stride, or -1 when i is outside [0, n).
func dwOffset(i, n, stride int) int32 {
	if i < 0 || i >= n {
		return -1
	}
	return int32(i * stride)
}

// Rows is the number of output rows (N*H) that RunRows divides.
func (d *Depthwise) Rows() int { return d.out.N * d.out.H }

// Run computes the whole output. On the reference path it uses scratch
// space of the Depthwise, so concurrent callers must use RunRows.
func (d *Depthwise) Run(dst, src *tensor.Int8) {
	if d.path == Ref {
		d.check(dst, src)
		q8ref.Conv2D(dst, src, d.w, d.bias, d.geo, d.inZero, d.output, d.acc)
		return
	}
	d.RunRows(dst, src, 0, d.Rows())
}

// RunRows computes output rows [start, end) of the N*H rows, so that
// workers can share one convolution: it writes only those rows and may run
// concurrently on disjoint ranges. The reference path computes rows with
// the Go row kernel, which gives the same bytes as q8ref.Conv2D.
func (d *Depthwise) RunRows(dst, src *tensor.Int8, start, end int) {
	d.check(dst, src)
	if start < 0 || end > d.Rows() || start > end {
		panic(fmt.Sprintf("depthwise: rows [%d, %d) outside [0, %d)", start, end, d.Rows()))
	}
	in, out, g := d.in, d.out, d.geo
	image, rowLen := in.H*in.W*in.C, out.W*out.C
	useAsm := d.path != Ref && in.C >= dwMinChannels && g.KH*g.KW <= dwMaxTaps
	for r := start; r < end; r++ {
		n, oy := r/out.H, r%out.H
		srcImage := src.Data[n*image : (n+1)*image]
		dstRow := dst.Data[r*rowLen : (r+1)*rowLen]
		if !useAsm {
			d.rowEdge(dstRow, srcImage, oy, 0, out.W, dwconvRowGo)
			continue
		}
		// An even number of the columns whose windows are inside the image
		// go to the kernel without padding tests, the rest (edges, an odd
		// column) to the one with.
		lo, hi := d.colLo, d.colLo+(d.colHi-d.colLo)&^1
		if !d.rowInside[oy] || !d.pairable || lo >= hi {
			d.rowEdge(dstRow, srcImage, oy, 0, out.W, dwconv_s8_kxk_c16_fp32_neon)
			continue
		}
		d.rowEdge(dstRow, srcImage, oy, 0, lo, dwconv_s8_kxk_c16_fp32_neon)
		c := in.C
		corner := ((oy*g.StrideH-g.PadH)*in.W + lo*g.StrideW - g.PadW) * c
		dwconv_s8_kxk_nopad_c16_fp32_neon(dstRow[lo*c:hi*c], srcImage[corner:], d.taps, d.w, d.bias, d.mult,
			hi-lo, c, g.StrideW*c, d.output.Zero, d.output.Lo, d.output.Hi)
		d.rowEdge(dstRow, srcImage, oy, hi, out.W, dwconv_s8_kxk_c16_fp32_neon)
	}
}

// dwRowKernel is the signature of the row kernels that test for padding.
type dwRowKernel func(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw, pairs int, zero, lo, hi int32)

// rowEdge computes output columns [x0, x1) of output row oy with a kernel
// that tests every tap for padding.
func (d *Depthwise) rowEdge(dstRow, srcImage []int8, oy, x0, x1 int, kernel dwRowKernel) {
	if x0 >= x1 {
		return
	}
	g, c := d.geo, d.in.C
	kernel(dstRow[x0*c:x1*c], srcImage, d.zeroPad, d.rowOffs[oy*g.KH:(oy+1)*g.KH], d.colOffs[x0*g.KW:x1*g.KW],
		d.w, d.bias, d.mult, x1-x0, c, g.KH, g.KW, d.pairs, d.output.Zero, d.output.Lo, d.output.Hi)
}

// check panics when the tensors are not the shapes the convolution was
// prepared for: the kernels trust the offset tables built from them.
func (d *Depthwise) check(dst, src *tensor.Int8) {
	if src.Shape != d.in || dst.Shape != d.out || len(src.Data) != d.in.Elems() || len(dst.Data) != d.out.Elems() {
		panic(fmt.Sprintf("depthwise: prepared for %v -> %v, given %v (%d values) -> %v (%d values)",
			d.in, d.out, src.Shape, len(src.Data), dst.Shape, len(dst.Data)))
	}
}

// dwconvRowGo computes width output pixels of one output row: for pixel x
// and channel c,
//
//	acc = bias[c] + sum over (ky, kx) of in * w[(ky*kw+kx)*channels+c]
//
// where in is src[rowOffs[ky]+colOffs[x*kw+kx]+c], or zeroPad[c] when
// either offset is negative (padding), then requantizes acc with mult[c].
// pairs is unused: it only changes how the assembly groups taps.
func dwconvRowGo(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw, pairs int, zero, lo, hi int32) {
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
