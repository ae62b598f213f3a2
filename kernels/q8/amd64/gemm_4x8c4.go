package amd64

import (
	"math"
	"unsafe"
)

// gemm_s8_4x8c4_fp32_avx2 is the microkernel of layers too deep for the
// packed panel of gemm_s8_6x16c2_fp32_avx2 (see gemm.go): it reads the
// input rows in place through the indirection buffer, 4 bytes at a time,
// widening them as it goes. It computes mc rows in blocks of gemmMR and
// all nc output channels in tiles of gemmNR, and requantizes in its
// epilogue.

const (
	gemmMR = 4 // rows (output pixels) per tile
	gemmNR = 8 // columns (output channels) per tile
	// One 32-bit broadcast reads gemmChunk (4) input channels of a row;
	// a tail of 1 to 3 channels is read with exact 2- and 1-byte loads,
	// never past the row.
	//
	// gemmChunkBytes is the size of one packed chunk of weights: 8
	// columns x 4 channels of int16.
	gemmChunkBytes = gemmNR * gemmChunk * 2
)

// gemmPortable4x8 is the microkernel's contract, in Go. For rows r < mc and
// output channels o < nc:
//
//	acc = bias[o] + sum over taps t, channels k < kcs[t] of x[r,t][k] * weight[t][k][o]
//	dst[r*dstStride + o] = Requantize(acc, multiplier[o], rq.Zero, rq.Lo, rq.Hi)
//
// where x[r,t] starts at src + ind[r*taps+t], or at zero when that offset
// is negative; weights, biases and multipliers are read from w as gemmPack
// laid them out. Rows go in blocks of 4, columns in tiles of 8, as the
// assembly does.
func gemmPortable4x8(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant) {
	channels := unsafe.Slice(kcs, taps)
	offsets := unsafe.Slice(ind, mc*taps)
	var acc [gemmMR][gemmNR]int32
	for m0 := 0; m0 < mc; m0 += gemmMR {
		mr := min(gemmMR, mc-m0)
		off := 0 // byte offset into w
		for col := 0; col < nc; col += gemmNR {
			acc = [gemmMR][gemmNR]int32{}
			for t, n := range channels {
				for k0 := 0; k0 < int(n); k0 += gemmChunk {
					chunk := unsafe.Slice((*int16)(unsafe.Add(w, off)), gemmNR*gemmChunk)
					for r := range mr {
						row := zero
						if o := offsets[(m0+r)*taps+t]; o >= 0 {
							row = unsafe.Add(src, o)
						}
						x := unsafe.Slice((*int8)(unsafe.Add(row, k0)), min(gemmChunk, int(n)-k0))
						for k, xv := range x {
							for c := range gemmNR {
								acc[r][c] += int32(xv) * int32(chunk[c*gemmChunk+k])
							}
						}
					}
					off += gemmChunkBytes
				}
			}
			bias := unsafe.Slice((*int32)(unsafe.Add(w, off)), gemmNR)
			mult := unsafe.Slice((*float32)(unsafe.Add(w, off+4*gemmNR)), gemmNR)
			off += 8 * gemmNR
			for r := range mr {
				out := unsafe.Slice((*int8)(unsafe.Add(dst, (m0+r)*dstStride+col)), min(gemmNR, nc-col))
				for c := range out {
					out[c] = rq.requantize(acc[r][c]+bias[c], mult[c])
				}
			}
		}
	}
}

// gemmPack4x8 lays weights out for the microkernel, once, when a layer is
// built. For each tile of 8 output channels: for each tap t and each chunk
// of up to 4 of its kcs[t] input channels, 64 bytes: for column c (0..7)
// and channel k (0..3) the int16 weight at element c*4+k (a tail chunk's
// missing channels are zero); then 8 int32 biases and 8 float32
// multipliers. Channels past cout get zero weights, bias and multiplier;
// the kernel computes them but never stores them.
//
// Why this order: the kernel broadcasts 4 input bytes to every 32-bit
// lane and sign-extends them to 16 words x0 x1 x2 x3 x0 x1 x2 x3 ..., so
// 32-bit lane 2c of a 32-byte weight vector (words 4c, 4c+1) meets x0, x1
// and lane 2c+1 (words 4c+2, 4c+3) meets x2, x3: VPMADDWD gives column c
// two partial sums in adjacent lanes, added by one VPHADDD in the epilogue.
//
// The result is []int32 so that biases and multipliers are 4-byte
// aligned; the kernels read it as bytes.
func gemmPack4x8(kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32 {
	chunks := 0
	for _, n := range kcs {
		chunks += (int(n) + gemmChunk - 1) / gemmChunk
	}
	tiles := (cout + gemmNR - 1) / gemmNR
	tileBytes := chunks*gemmChunkBytes + 8*gemmNR
	packed := make([]int32, tiles*tileBytes/4)
	if len(packed) == 0 {
		return packed
	}
	words := unsafe.Slice((*int16)(unsafe.Pointer(&packed[0])), 2*len(packed))
	off := 0 // in bytes
	for tile := range tiles {
		for t, n := range kcs {
			for k0 := 0; k0 < int(n); k0 += gemmChunk {
				chunk := words[off/2 : off/2+gemmNR*gemmChunk]
				for c := range gemmNR {
					o := tile*gemmNR + c
					if o >= cout {
						continue
					}
					for k := range min(gemmChunk, int(n)-k0) {
						chunk[c*gemmChunk+k] = int16(weight(t, k0+k, o))
					}
				}
				off += gemmChunkBytes
			}
		}
		for c := range gemmNR {
			if o := tile*gemmNR + c; o < cout {
				packed[off/4+c] = bias[o]
				packed[off/4+gemmNR+c] = int32(math.Float32bits(mult(o)))
			}
		}
		off += 8 * gemmNR
	}
	return packed
}
