package amd64

import (
	"fmt"
	"math"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// dwMaxTaps is the largest window (kh*kw) the assembly kernel's on-stack
// table of tap pointers holds: 8x8. Larger windows run the Go row kernel.
const dwMaxTaps = 64

// dwBlock is the number of channels the kernel computes per step. A
// tensor of at least dwBlock channels whose count is not a multiple of it
// ends with a block moved back to channels C-16..C-1 (recomputing a few
// channels, with the same result); narrower tensors run the Go row kernel.
const dwBlock = 16

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
	rq      requant

	w       []int8    // [KH][KW][C], a private copy
	bias    []int32   // [C]
	mult    []float32 // [C], a shared multiplier repeated
	zeroPad []int8    // C copies of inZero: what padding taps read
	// rowOffs[oy*KH+ky] is the byte offset of input row iy in an image,
	// colOffs[ox*KW+kx] that of input column ix in a row, or -1 when the
	// tap falls in the padding.
	rowOffs, colOffs []int32
	// packed and packedBQ are the kernel's weights and biases/multipliers
	// (see dwPack); nil where the kernel is not used.
	packed   []int16
	packedBQ []int32
	useAsm   bool
	acc      []int32 // scratch for the reference path
}

// NewDepthwise prepares a depthwise convolution of in into out. w is laid
// out [KH][KW][C] (q8's packing with Cin/groups = 1), bias has the input
// zero-point correction folded in as for q8ref.Conv2D, and o.Multipliers has
// one value per channel or one shared value.
func NewDepthwise(p Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*Depthwise, error) {
	if err := checkPath(p); err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	c := in.C
	switch {
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
	case inZero < quant.QMin || inZero > quant.QMax || o.Zero < quant.QMin || o.Zero > quant.QMax:
		return nil, fmt.Errorf("depthwise: zero points %d, %d outside int8", inZero, o.Zero)
	case o.Lo < quant.QMin || o.Hi > quant.QMax || o.Lo > o.Hi:
		return nil, fmt.Errorf("depthwise: clamp [%d, %d] outside int8", o.Lo, o.Hi)
	case in.N < 1 || in.H < 1 || in.W < 1 || out.N != in.N:
		return nil, fmt.Errorf("depthwise: input %v, output %v", in, out)
	}
	if oh, ow := g.OutSize(in.H, in.W); out.H != oh || out.W != ow {
		return nil, fmt.Errorf("depthwise: output %v, want %dx%d for input %v", out, oh, ow, in)
	}
	if int64(in.H)*int64(in.W)*int64(c) > math.MaxInt32 {
		return nil, fmt.Errorf("depthwise: input %v too large for 32-bit offsets", in)
	}
	d := &Depthwise{
		path: p, geo: g, in: in, out: out, inZero: inZero, output: o,
		rq:      newRequant(o.Zero, o.Lo, o.Hi),
		w:       append([]int8(nil), w...),
		bias:    append([]int32(nil), bias...),
		mult:    make([]float32, c),
		zeroPad: make([]int8, c),
		rowOffs: make([]int32, out.H*g.KH),
		colOffs: make([]int32, out.W*g.KW),
		acc:     make([]int32, c),
	}
	d.output.Multipliers = append([]float32(nil), o.Multipliers...)
	for i := range d.mult {
		d.mult[i] = d.output.Multipliers[min(i, len(o.Multipliers)-1)]
		d.zeroPad[i] = int8(inZero)
	}
	for oy := range out.H {
		for ky := range g.KH {
			d.rowOffs[oy*g.KH+ky] = dwOffset(oy*g.StrideH-g.PadH+ky*g.DilH, in.H, in.W*c)
		}
	}
	for ox := range out.W {
		for kx := range g.KW {
			d.colOffs[ox*g.KW+kx] = dwOffset(ox*g.StrideW-g.PadW+kx*g.DilW, in.W, c)
		}
	}
	d.useAsm = p == AVX2 && c >= dwBlock && g.KH*g.KW <= dwMaxTaps
	if d.useAsm {
		d.packed, d.packedBQ = dwPack(d.w, d.bias, d.mult, c, g.KH*g.KW)
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

// dwBlocks returns where each block of 16 channels starts: 0, 16, ...,
// and C-16 for a tail.
func dwBlocks(channels int) []int {
	var starts []int
	for cb := 0; cb < channels; cb += dwBlock {
		starts = append(starts, min(cb, channels-dwBlock))
	}
	return starts
}

// dwPack lays out weights, biases and multipliers for the kernel. For each
// block (dwBlocks) and tap, 32 int16 words: an even vector whose word 2i
// is the weight of channel cb+2i (word 2i+1 zero), then an odd vector
// whose word 2i+1 is the weight of channel cb+2i+1 (word 2i zero). With
// the block's 16 input bytes widened to int16 words x0..x15, VPMADDWD
// gives lane i = x[2i]*w[2i] from the even vector and x[2i+1]*w[2i+1]
// from the odd one: one exact product per 32-bit lane, even channels in
// one accumulator and odd channels in the other. Per block, bq holds 8
// biases of the even channels, 8 of the odd ones, then the multipliers
// in the same order (as float32 bits).
func dwPack(w []int8, bias []int32, mult []float32, channels, taps int) ([]int16, []int32) {
	blocks := dwBlocks(channels)
	packed := make([]int16, len(blocks)*taps*2*dwBlock)
	bq := make([]int32, len(blocks)*4*(dwBlock/2))
	i := 0
	for b, cb := range blocks {
		for t := range taps {
			for j := range dwBlock {
				v := int16(w[t*channels+cb+j])
				if j%2 == 0 {
					packed[i+j] = v
				} else {
					packed[i+dwBlock+j] = v
				}
			}
			i += 2 * dwBlock
		}
		q := bq[b*4*(dwBlock/2):]
		for j := range dwBlock / 2 {
			q[j] = bias[cb+2*j]
			q[dwBlock/2+j] = bias[cb+2*j+1]
			q[dwBlock+j] = int32(math.Float32bits(mult[cb+2*j]))
			q[dwBlock+dwBlock/2+j] = int32(math.Float32bits(mult[cb+2*j+1]))
		}
	}
	return packed, bq
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
	for r := start; r < end; r++ {
		n, oy := r/out.H, r%out.H
		srcImage := src.Data[n*image : (n+1)*image]
		dstRow := dst.Data[r*rowLen : (r+1)*rowLen]
		rowOffs := d.rowOffs[oy*g.KH : (oy+1)*g.KH]
		if d.useAsm {
			dwconv_s8_kxk_c16_fp32_avx2(dstRow, srcImage, d.zeroPad, rowOffs, d.colOffs, d.packed, d.packedBQ,
				out.W, in.C, g.KH, g.KW, &d.rq)
			continue
		}
		dwconvRowGo(dstRow, srcImage, d.zeroPad, rowOffs, d.colOffs, d.w, d.bias, d.mult, out.W, in.C, g.KH, g.KW, &d.rq)
	}
}

// check panics when the tensors are not the shapes the convolution was
// prepared for: the kernels trust the offset tables built from them.
func (d *Depthwise) check(dst, src *tensor.Int8) {
	if src.Shape != d.in || dst.Shape != d.out || len(src.Data) != d.in.Elems() || len(dst.Data) != d.out.Elems() {
		panic(fmt.Sprintf("depthwise: prepared for %v -> %v, given %v (%d values) -> %v (%d values)",
			d.in, d.out, src.Shape, len(src.Data), dst.Shape, len(dst.Data)))
	}
}

// dwconvRowGo computes width output pixels of one output row from the
// weights as given: for pixel x and channel c,
//
//	acc = bias[c] + sum over (ky, kx) of in * w[(ky*kw+kx)*channels+c]
//
// where in is src[rowOffs[ky]+colOffs[x*kw+kx]+c], or zeroPad[c] when
// either offset is negative (padding), then requantizes acc with mult[c].
func dwconvRowGo(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw int, rq *requant) {
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
			res[c] = rq.requantize(acc, mult[c])
		}
	}
}

// dwconvPortable is the contract of dwconv_s8_kxk_c16_fp32_avx2, in Go:
// dwconvRowGo's loop, reading the weights, biases and multipliers from
// dwPack's layout, block by block as the assembly does.
func dwconvPortable(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int16, bq []int32, width, channels, kh, kw int, rq *requant) {
	taps := kh * kw
	for x := range width {
		cols := colOffs[x*kw : (x+1)*kw]
		for b := 0; b*dwBlock < channels; b++ {
			cb := min(b*dwBlock, channels-dwBlock) // as dwBlocks
			var acc [dwBlock]int32
			for t := range taps {
				r, col := rowOffs[t/kw], cols[t%kw]
				vec := w[(b*taps+t)*2*dwBlock:][:2*dwBlock]
				for j := range dwBlock {
					v := zeroPad[cb+j]
					if r|col >= 0 {
						v = src[int(r)+int(col)+cb+j]
					}
					acc[j] += int32(v) * int32(vec[j%2*dwBlock+j])
				}
			}
			q := bq[b*4*(dwBlock/2):][:4*(dwBlock/2)]
			for j := range dwBlock {
				lane := j%2*(dwBlock/2) + j/2
				dst[x*channels+cb+j] = rq.requantize(acc[j]+q[lane], math.Float32frombits(uint32(q[dwBlock+lane])))
			}
		}
	}
}
