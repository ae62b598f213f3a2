package amd64

import (
	"math"
	"unsafe"

	"neonet.dev/neonet/kernels/q8"
)

// The int8 GEMM behind kernels/q8's Conv, Linear and ShiftConv is an
// indirect GEMM: output row m (one output pixel) is the sum over taps t of
// a kcs[t]-long input row, found through the indirection buffer
// ind[m*taps+t] (a byte offset into the source tensor, or -1 for a padding
// tap, which reads the zero row filled with the input zero point), times
// the tap's packed weights.
//
// Two microkernels share that contract (q8.IGEMM's Kernel), and a layer's
// packed weights say which one it was packed for:
//
//   - gemm_s8_6x16c2_fp32_avx2, for every layer whose K (the sum of kcs,
//     one output row's multiply-accumulates per channel) is at most
//     gemmPanelMaxK: it first gathers the call's rows through the
//     indirection buffer into a panel of int16 on its own stack, so its
//     inner loop is one 32-bit broadcast, two VPMADDWD and two VPADDD per
//     row and pair of input channels, over tiles of 6 rows x 16 columns;
//   - gemm_s8_4x8c4_fp32_avx2, for deeper layers: it widens the input
//     rows in place, 4 bytes at a time (gemm_4x8c4.go).
//
// Both requantize in their epilogue, so the int32 accumulators never
// leave registers.

// gemmHeaderWords is the size of the header in front of the packed
// weights: the layout (gemmLayout6x16 or gemmLayout4x8) and, for 6x16,
// K rounded up to even and the kernel's flags (gemmNaNCheck). 8 words
// keep the weights 32-byte aligned with the slice.
const gemmHeaderWords = 8

const (
	gemmLayout6x16 = 1
	gemmLayout4x8  = 2
)

// gemmNaNCheck is the 6x16 kernel's flag for a layer with an infinite or
// NaN multiplier, whose products can be NaN (infinity times 0): only then
// does its epilogue spend two instructions per vector turning NaN into 0.
const gemmNaNCheck = 1

// gemmChunk is the Arch's K step, which the indirect GEMM's tap choice
// reads: 4 channels, the 4x8c4 kernel's broadcast. The 6x16c2 kernel
// gathers whole taps and does not depend on it.
const gemmChunk = 4

// gemmAVX2 is the AVX2 path's kernel: it runs the microkernel the layer's
// weights were packed for. It allocates nothing: the 6x16 panel lives in
// the assembly's stack frame, so concurrent calls on disjoint rows are
// safe.
func gemmAVX2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant) {
	header := (*[gemmHeaderWords]int32)(w)
	body := unsafe.Add(w, 4*gemmHeaderWords)
	if header[0] == gemmLayout4x8 {
		gemm_s8_4x8c4_fp32_avx2(mc, nc, kcs, taps, src, zero, ind, body, dst, dstStride, rq)
		return
	}
	kp := int(header[1])
	// The panel holds gemmPanelRows(kp) rows; a longer call goes in parts.
	step := gemmPanelRows(kp)
	for m := 0; m < mc; m += step {
		n := min(step, mc-m)
		gemm_s8_6x16c2_fp32_avx2(n, nc, kcs, taps, src, zero, (*int32)(unsafe.Add(unsafe.Pointer(ind), 4*m*taps)),
			body, unsafe.Add(dst, m*dstStride), dstStride, rq, kp, int(header[2]))
	}
}

// gemmPack lays a layer's weights out for the kernel that suits its K,
// behind the header gemmAVX2 reads.
func gemmPack(kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32 {
	k := 0
	for _, n := range kcs {
		k += int(n)
	}
	var header [gemmHeaderWords]int32
	var body []int32
	if kp := k + k&1; kp <= gemmPanelMaxK {
		header[0], header[1] = gemmLayout6x16, int32(kp)
		for o := range cout {
			if m := float64(mult(o)); math.IsInf(m, 0) || math.IsNaN(m) {
				header[2] = gemmNaNCheck
			}
		}
		body = gemmPack6x16(kcs, cout, weight, bias, mult)
	} else {
		header[0] = gemmLayout4x8
		body = gemmPack4x8(kcs, cout, weight, bias, mult)
	}
	return append(header[:], body...)
}

// gemmRowsPerCall is how many rows one kernel call computes, given the
// bytes K of one input row. For the 6x16 kernel: a multiple of 6 whose
// int16 panel fills about half of a 32 KiB L1 data cache (it stays there
// while every column tile's weights pass), at least one tile, at most what
// the panel holds. For the 4x8 kernel: a multiple of 4 whose int8 input
// fills about half of L1, between 16 and 256 rows.
func gemmRowsPerCall(rowBytes int) int {
	if kp := rowBytes + rowBytes&1; kp <= gemmPanelMaxK {
		return min(max(16*1024/(2*max(kp, 2))/gemmMR6*gemmMR6, gemmMR6), gemmPanelRows(kp))
	}
	return min(max(16*1024/max(rowBytes, 1), 16), 256) &^ 3
}

// gemm is the AVX2 path's indirect GEMM, which the operators of
// kernels/q8 build and run.
var gemm = &q8.IGEMM[requant]{
	Chunk:       gemmChunk,
	Kernel:      gemmAVX2,
	Pack:        gemmPack,
	Requant:     newRequant,
	RowsPerCall: gemmRowsPerCall,
}
