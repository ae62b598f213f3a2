package arm64

import (
	"unsafe"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/quant"
)

// The microkernels of the indirect GEMM behind kernels/q8's Conv, Linear
// and ShiftConv (see q8.IGEMM for the contract): output row m (one output
// pixel) is the sum over taps t of a kcs[t]-long input row, found through
// the indirection buffer ind[m*taps+t] (a byte offset into the source
// tensor, or -1 for a padding tap, which reads the zero row filled with
// the input zero point), times the tap's packed weights. A microkernel
// computes mc rows in blocks of MR and all nc output channels in tiles of
// NR, and requantizes in its epilogue, so the int32 accumulators never
// leave registers.

// gemmClamp is the output side of requantization as the kernels read it.
type gemmClamp struct{ Zero, Lo, Hi int32 }

// gemmKernel is one microkernel signature; see gemmPortable for the
// contract.
type gemmKernel func(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, clamp *gemmClamp)

// gemmLayout is a microkernel's tile and packed-weight layout.
type gemmLayout struct {
	mr, nr int  // rows (output pixels) and columns (output channels) per tile
	c4     bool // weights in steps of 4 channels per column (SDOT), else 16 (SMULL/SMLAL2)
}

// gemmChunk is the number of input channels a kernel reads per row and
// step: 16 bytes, one vector register.
const gemmChunk = 16

// The two paths' layouts.
var (
	neonLayout = gemmLayout{mr: 2, nr: 8}
	dotLayout  = gemmLayout{mr: 4, nr: 16, c4: true}
)

// weightIndex is where the weight of column c at chunk position p sits in
// a packed chunk of 16*nr bytes.
func (l gemmLayout) weightIndex(c, p int) int {
	if l.c4 { // 4 steps; per step, 16 columns x 4 channels
		return (p/4)*4*l.nr + c*4 + p%4
	}
	return c*gemmChunk + p // per column, 16 channels
}

// gemmChunkPositions returns where each of the n (1..16) channels of a
// chunk lands in the 16-byte register. A full chunk is in order; a tail of
// n < 16 channels is loaded with exact-size loads of 8, 4, 2 and 1 bytes
// (the set bits of n, largest first) into bytes 0-7, 8-11, 12-13 and 14,
// so no byte past the input row is read.
func gemmChunkPositions(n int) (pos [gemmChunk]int) {
	if n == gemmChunk {
		for i := range pos {
			pos[i] = i
		}
		return pos
	}
	i := 0
	for _, piece := range [...]struct{ size, at int }{{8, 0}, {4, 8}, {2, 12}, {1, 14}} {
		if n&piece.size != 0 {
			for j := range piece.size {
				pos[i] = piece.at + j
				i++
			}
		}
	}
	return pos
}

// gemmPortable is the microkernels' contract, in Go. For rows r < mc and
// output channels o < nc:
//
//	acc = bias[o] + sum over taps t, channels k < kcs[t] of x[r,t][k] * weight[t][k][o]
//	dst[r*dstStride + o] = Requantize(acc, multiplier[o], clamp.Zero, clamp.Lo, clamp.Hi)
//
// where x[r,t] starts at src + ind[r*taps+t], or at zero when that offset
// is negative; bias, weights and multipliers are read from w as gemmPack
// laid them out. Rows go in blocks of l.mr, columns in tiles of l.nr, as
// the assembly does.
func gemmPortable(l gemmLayout, mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, clamp *gemmClamp) {
	channels := unsafe.Slice(kcs, taps)
	offsets := unsafe.Slice(ind, mc*taps)
	var acc [4][16]int32
	for m0 := 0; m0 < mc; m0 += l.mr {
		mr := min(l.mr, mc-m0)
		off := 0 // byte offset into w
		for col := 0; col < nc; col += l.nr {
			acc = [4][16]int32{}
			for t, n := range channels {
				for k0 := 0; k0 < int(n); k0 += gemmChunk {
					m := min(gemmChunk, int(n)-k0)
					pos := gemmChunkPositions(m)
					chunk := unsafe.Slice((*int8)(unsafe.Add(w, off)), gemmChunk*l.nr)
					for r := range mr {
						row := zero
						if o := offsets[(m0+r)*taps+t]; o >= 0 {
							row = unsafe.Add(src, o)
						}
						x := unsafe.Slice((*int8)(unsafe.Add(row, k0)), m)
						for i, xv := range x {
							for c := range l.nr {
								acc[r][c] += int32(xv) * int32(chunk[l.weightIndex(c, pos[i])])
							}
						}
					}
					off += gemmChunk * l.nr
				}
			}
			bias := unsafe.Slice((*int32)(unsafe.Add(w, off)), l.nr)
			mult := unsafe.Slice((*float32)(unsafe.Add(w, off+4*l.nr)), l.nr)
			off += 8 * l.nr
			for r := range mr {
				out := unsafe.Slice((*int8)(unsafe.Add(dst, (m0+r)*dstStride+col)), min(l.nr, nc-col))
				for c := range out {
					out[c] = quant.Requantize(acc[r][c]+bias[c], mult[c], clamp.Zero, clamp.Lo, clamp.Hi)
				}
			}
		}
	}
}

// newGEMM is the indirect GEMM of one microkernel and its layout, which
// the operators of kernels/q8 build and run: a whole range in one kernel
// call.
func newGEMM(l gemmLayout, kernel gemmKernel) *q8.IGEMM[gemmClamp] {
	return &q8.IGEMM[gemmClamp]{
		Chunk:  gemmChunk,
		Kernel: kernel,
		Pack: func(kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32 {
			return gemmPack(l, kcs, cout, weight, bias, mult)
		},
		Requant: func(zero, lo, hi int32) gemmClamp { return gemmClamp{Zero: zero, Lo: lo, Hi: hi} },
	}
}
