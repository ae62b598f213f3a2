package amd64

import (
	"math"

	"neonet.dev/neonet/kernels/q8"
)

// dwMaxTaps is the largest window (kh*kw) the assembly kernel's on-stack
// table of tap pointers holds: 8x8. Larger windows run q8.DepthwiseRowGo.
const dwMaxTaps = 64

// dwBlock is the number of channels the kernel computes per step. A
// tensor of at least dwBlock channels whose count is not a multiple of it
// ends with a block moved back to channels C-16..C-1 (recomputing a few
// channels, with the same result); narrower tensors run q8.DepthwiseRowGo.
const dwBlock = 16

// depthwise is the AVX2 path's depthwise kernel.
var depthwise = q8.DepthwiseKernel{MinChannels: dwBlock, MaxTaps: dwMaxTaps, Prepare: dwPrepare}

// dwRows is a depthwise layer with its weights, biases and multipliers
// packed for the kernel (see dwPack).
type dwRows struct {
	l        *q8.DepthwiseLayer
	packed   []int16
	packedBQ []int32
	rq       requant
}

func dwPrepare(l *q8.DepthwiseLayer) q8.DepthwiseRows {
	d := &dwRows{l: l, rq: newRequant(l.Zero, l.Lo, l.Hi)}
	d.packed, d.packedBQ = dwPack(l.W, l.Bias, l.Mult, l.In.C, l.Geometry.KH*l.Geometry.KW)
	return d
}

// Row computes output row oy, 16 channels per step.
func (d *dwRows) Row(dstRow, srcImage []int8, oy int) {
	l := d.l
	g := l.Geometry
	dwconv_s8_kxk_c16_fp32_avx2(dstRow, srcImage, l.ZeroPad, l.RowOffs[oy*g.KH:(oy+1)*g.KH], l.ColOffs, d.packed, d.packedBQ,
		l.Out.W, l.In.C, g.KH, g.KW, &d.rq)
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

// dwconvPortable is the contract of dwconv_s8_kxk_c16_fp32_avx2, in Go:
// q8.DepthwiseRowGo's loop, reading the weights, biases and multipliers from
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
