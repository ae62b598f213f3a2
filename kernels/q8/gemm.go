package q8

import (
	"fmt"
	"unsafe"

	"neonet.dev/neonet/kernels/q8ref"
)

// The int8 GEMM behind Conv, Linear and ShiftConv is an indirect GEMM:
// output row m (one output pixel) is the sum over taps t of a kcs[t]-long
// input row, found through the indirection buffer ind[m*taps+t] (a byte
// offset into the source tensor, or -1 for a padding tap, which reads the
// zero row filled with the input zero point), times the tap's packed
// weights. A microkernel computes a range of rows and all output channels,
// and requantizes in its epilogue, so the int32 accumulators never leave
// registers.

// GEMM is a path's indirect GEMM: its microkernel and packed-weight
// layout. *IGEMM[R] is its one implementation; the interface hides R.
type GEMM interface {
	chunk() int
	plan(kcs, ind []int32, cout int, weight func(t, k, o int) int8, bias []int32, inZero int32, o q8ref.Output) gemmPlan
}

// IGEMM is what one path brings to the indirect GEMM: R is the
// requantization parameters its microkernel reads.
type IGEMM[R any] struct {
	// Chunk is the K step: the input channels of one row a kernel reads
	// at a time. Taps are chosen to read few chunks.
	Chunk int
	// Kernel is the microkernel. For rows r < mc and output channels
	// o < nc:
	//
	//	acc = bias[o] + sum over taps t, channels k < kcs[t] of x[r,t][k] * weight[t][k][o]
	//	dst[r*dstStride + o] = Requantize(acc, multiplier[o], zero, lo, hi)
	//
	// where x[r,t] starts at src + ind[r*taps+t], or at zero when that
	// offset is negative; weights, biases and multipliers are read from w
	// as Pack laid them out, the output zero point and bounds from rq.
	Kernel func(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *R)
	// Pack lays weights, biases and multipliers out for Kernel, once,
	// when a layer is built: taps of kcs[t] input channels, cout output
	// channels, weight(t, k, o) the weight of tap t's channel k for output
	// channel o.
	Pack func(kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32
	// Requant makes the kernel's requantization parameters.
	Requant func(zero, lo, hi int32) R
	// RowsPerCall is how many rows one kernel call computes, given the
	// bytes of input one row reads; nil runs a whole range in one call.
	RowsPerCall func(rowBytes int) int
}

func (a *IGEMM[R]) chunk() int { return a.Chunk }

// gemmPlan is a built GEMM, whatever its R.
type gemmPlan interface {
	// run computes output rows [start, end), output row r at
	// dst[r*stride+offset:], from src.
	run(dst, src []int8, start, end, stride, offset int)
}

// plan is everything a layer's GEMM needs besides its tensors, built
// once: packed weights, the indirection buffer and the zero row. run
// reads it only, so disjoint row ranges may run concurrently.
type plan[R any] struct {
	gemm   *IGEMM[R]
	kcs    []int32 // input channels read per tap
	ind    []int32 // per output row and tap: byte offset into src, or -1
	packed []int32
	zero   []int8 // the padding row: max(kcs) copies of the input zero point
	rq     R
	cout   int
	// rowsPerCall is the kernel call's share of a range; 0: all of it.
	rowsPerCall int
}

// plan builds the GEMM of taps of kcs[t] input channels, indirection
// buffer ind, cout output channels of weights weight(t, k, o) and bias,
// requantized as o says.
func (a *IGEMM[R]) plan(kcs, ind []int32, cout int, weight func(t, k, o int) int8, bias []int32, inZero int32, o q8ref.Output) gemmPlan {
	longest, rowBytes := int32(1), 0
	for _, n := range kcs {
		longest = max(longest, n)
		rowBytes += int(n)
	}
	zero := make([]int8, longest)
	for i := range zero {
		zero[i] = int8(inZero)
	}
	g := &plan[R]{
		gemm: a, kcs: kcs, ind: ind, zero: zero, cout: cout,
		packed: a.Pack(kcs, cout, weight, bias, o.Multiplier),
		rq:     a.Requant(o.Zero, o.Lo, o.Hi),
	}
	if a.RowsPerCall != nil {
		g.rowsPerCall = a.RowsPerCall(rowBytes)
	}
	return g
}

// run computes output rows [start, end): any range works, a last block of
// fewer rows than the kernel's tile is computed as such.
func (g *plan[R]) run(dst, src []int8, start, end, stride, offset int) {
	if start >= end || g.cout == 0 {
		return
	}
	if offset < 0 || offset+g.cout > stride || (end-1)*stride+offset+g.cout > len(dst) {
		panic(fmt.Sprintf("q8: output rows [%d, %d) of %d channels at stride %d offset %d do not fit %d bytes", start, end, g.cout, stride, offset, len(dst)))
	}
	taps := len(g.kcs)
	step := g.rowsPerCall
	if step <= 0 {
		step = end - start
	}
	// A kernel runs column tiles outside and rows inside: rows go to it
	// in ranges whose input stays in L1 while every tile passes.
	for m := start; m < end; m += step {
		n := min(step, end-m)
		g.gemm.Kernel(n, g.cout, &g.kcs[0], taps,
			unsafe.Pointer(unsafe.SliceData(src)), unsafe.Pointer(&g.zero[0]), &g.ind[m*taps],
			unsafe.Pointer(&g.packed[0]), unsafe.Pointer(&dst[m*stride+offset]), stride, &g.rq)
	}
}
