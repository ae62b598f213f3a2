package amd64

import (
	"math"
	"unsafe"
)

// The 6x16c2 microkernel (gemm_s8_6x16c2_fp32_avx2) computes tiles of 6
// rows (output pixels) x 16 columns (output channels), input channels 2
// at a time (c2), from a panel of int16 it gathers first.
const (
	gemmMR6  = 6  // rows per tile
	gemmNR16 = 16 // columns per tile
	// gemmPanelBytes is the size of the panel in the kernel's stack
	// frame: the call's rows, each K int16 values (K rounded up to even),
	// rounded up to whole tiles.
	gemmPanelBytes = 48 * 1024
	// gemmPanelMaxK is the deepest K whose one tile of rows fits the panel.
	gemmPanelMaxK = gemmPanelBytes / (2 * gemmMR6)
)

// gemmPanelRows is how many rows of kp int16 values the panel holds, in
// whole tiles.
func gemmPanelRows(kp int) int {
	return gemmPanelBytes / (2 * kp) / gemmMR6 * gemmMR6
}

// gemmPortable6x16 is the 6x16c2 microkernel's contract, in Go. For rows
// r < mc and output channels o < nc:
//
//	acc = bias[o] + sum over taps t, channels k < kcs[t] of x[r,t][k] * weight[t][k][o]
//	dst[r*dstStride + o] = Requantize(acc, multiplier[o], rq.Zero, rq.Lo, rq.Hi)
//
// where x[r,t] starts at src + ind[r*taps+t], or at zero when that offset
// is negative; the taps' channels follow each other in one row of kp
// (their sum rounded up to even) values, weights, biases and multipliers
// are read from w as gemmPack6x16 laid them out. mc is at most
// gemmPanelRows(kp). The last argument is the assembly's flags, which
// change its speed only.
func gemmPortable6x16(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant, kp, _ int) {
	channels := unsafe.Slice(kcs, taps)
	offsets := unsafe.Slice(ind, mc*taps)
	tileBytes := kp/2*64 + 8*gemmNR16
	for r := range mc {
		// The row as the panel holds it: every tap's channels in turn.
		var row [gemmPanelMaxK]int16
		k := 0
		for t, n := range channels {
			p := zero
			if o := offsets[r*taps+t]; o >= 0 {
				p = unsafe.Add(src, o)
			}
			for _, v := range unsafe.Slice((*int8)(p), n) {
				row[k] = int16(v)
				k++
			}
		}
		for col := 0; col < nc; col += gemmNR16 {
			tile := unsafe.Add(w, col/gemmNR16*tileBytes)
			var acc [gemmNR16]int32
			for kk := range kp / 2 {
				pairs := unsafe.Slice((*int16)(unsafe.Add(tile, kk*64)), 2*gemmNR16)
				for c := range gemmNR16 {
					acc[c] += int32(row[2*kk])*int32(pairs[2*c]) + int32(row[2*kk+1])*int32(pairs[2*c+1])
				}
			}
			bias := unsafe.Slice((*int32)(unsafe.Add(tile, kp/2*64)), gemmNR16)
			mult := unsafe.Slice((*float32)(unsafe.Add(tile, kp/2*64+4*gemmNR16)), gemmNR16)
			out := unsafe.Slice((*int8)(unsafe.Add(dst, r*dstStride+col)), min(gemmNR16, nc-col))
			for c := range out {
				out[c] = rq.requantize(acc[c]+bias[c], mult[c])
			}
		}
	}
}

// gemmPack6x16 lays weights out for the 6x16c2 kernel, once, when a layer
// is built. The taps' channels are numbered k = 0..K-1 in turn, as the
// kernel's panel holds them, and K is rounded up to even kp. For each
// tile of 16 output channels: for each pair of channels k = 2j, 2j+1, 64
// bytes: column c's int16 weights of k and k+1 at words 2c and 2c+1
// (columns 0-7 in the first 32 bytes, 8-15 in the next); then 16 int32
// biases and 16 float32 multipliers. Channels past cout get zero weights,
// bias and multiplier; the kernel computes them but never stores them.
//
// Why this order: the kernel broadcasts a row's two int16 inputs of k and
// k+1 to every 32-bit lane, so VPMADDWD with one 32-byte vector gives 8
// columns' x[k]*w[k] + x[k+1]*w[k+1] exactly (each product at most 2^14 in
// magnitude), ready to add to the int32 accumulators.
func gemmPack6x16(kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32 {
	k := 0
	for _, n := range kcs {
		k += int(n)
	}
	kp := k + k&1
	tiles := (cout + gemmNR16 - 1) / gemmNR16
	tileWords := kp/2*16 + 2*gemmNR16
	packed := make([]int32, tiles*tileWords)
	if len(packed) == 0 {
		return packed
	}
	halves := unsafe.Slice((*int16)(unsafe.Pointer(&packed[0])), 2*len(packed))
	for tile := range tiles {
		base := tile * tileWords // in int32 words
		flat := 0
		for t, n := range kcs {
			for kt := range int(n) {
				for c := range gemmNR16 {
					if o := tile*gemmNR16 + c; o < cout {
						halves[2*(base+flat/2*16+c)+flat%2] = int16(weight(t, kt, o))
					}
				}
				flat++
			}
		}
		for c := range gemmNR16 {
			if o := tile*gemmNR16 + c; o < cout {
				packed[base+kp/2*16+c] = bias[o]
				packed[base+kp/2*16+gemmNR16+c] = int32(math.Float32bits(mult(o)))
			}
		}
	}
	return packed
}
