package igemm

import (
	"fmt"
	"unsafe"

	"neonet.dev/neonet/kernels/q8ref"
)

// Kernel is the microkernel signature. For rows r < mc and output
// channels o < nc:
//
//	acc = bias[o] + sum over taps t, channels k < kcs[t] of x[r,t][k] * weight[t][k][o]
//	dst[r*dstStride + o] = Requantize(acc, multiplier[o], zero, lo, hi)
//
// where x[r,t] starts at src + ind[r*taps+t], or at zero when that offset
// is negative; weights, biases and multipliers are read from w as the
// Arch's Pack laid them out, and the output zero point and bounds from rq.
type Kernel[R any] func(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *R)

// Arch is what one architecture's path brings to the indirect GEMM: R is
// the requantization parameters its microkernel reads.
type Arch[R any] struct {
	// Pkg names the package in panic messages ("amd64", "arm64").
	Pkg string
	// Chunk is the K step: the input channels of one row a kernel reads
	// at a time. Taps are chosen to read few chunks.
	Chunk int
	// Kernel is the microkernel.
	Kernel Kernel[R]
	// Pack lays weights, biases and multipliers out for Kernel.
	Pack func(kcs []int32, cout int, weight func(t, k, o int) int8, bias []int32, mult func(o int) float32) []int32
	// Requant makes the kernel's requantization parameters.
	Requant func(zero, lo, hi int32) R
	// RowsPerCall is how many rows one kernel call computes, given the
	// bytes of input one row reads; nil runs a whole range in one call.
	RowsPerCall func(rowBytes int) int
}

// Plan is everything a layer's GEMM needs besides its tensors, built
// once: packed weights, the indirection buffer and the zero row. Run
// reads it only, so disjoint row ranges may run concurrently.
type Plan[R any] struct {
	arch   *Arch[R]
	kcs    []int32 // input channels read per tap
	ind    []int32 // per output row and tap: byte offset into src, or -1
	packed []int32
	zero   []int8 // the padding row: max(kcs) copies of the input zero point
	rq     R
	cout   int
	// rowsPerCall is the kernel call's share of a range; 0: all of it.
	rowsPerCall int
}

// NewPlan builds the GEMM of taps of kcs[t] input channels, indirection
// buffer ind, cout output channels of weights weight(t, k, o) and bias,
// requantized as o says.
func NewPlan[R any](a *Arch[R], kcs []int32, ind []int32, cout int, weight func(t, k, o int) int8, bias []int32, inZero int32, o q8ref.Output) *Plan[R] {
	longest, rowBytes := int32(1), 0
	for _, n := range kcs {
		longest = max(longest, n)
		rowBytes += int(n)
	}
	zero := make([]int8, longest)
	for i := range zero {
		zero[i] = int8(inZero)
	}
	g := &Plan[R]{
		arch: a, kcs: kcs, ind: ind, zero: zero, cout: cout,
		packed: a.Pack(kcs, cout, weight, bias, func(c int) float32 { return Multiplier(o, c) }),
		rq:     a.Requant(o.Zero, o.Lo, o.Hi),
	}
	if a.RowsPerCall != nil {
		g.rowsPerCall = a.RowsPerCall(rowBytes)
	}
	return g
}

// Run computes output rows [start, end) into dst (rows of cout int8), from
// src. Any range works: a last block of fewer rows than the kernel's tile
// is computed as such.
func (g *Plan[R]) Run(dst, src []int8, start, end int) {
	g.RunStrided(dst, src, start, end, g.cout, 0)
}

// RunStrided is Run with output row r at dst[r*stride+offset:], cout
// values wide: rows of a wider tensor (one branch of a concatenation).
func (g *Plan[R]) RunStrided(dst, src []int8, start, end, stride, offset int) {
	if start >= end || g.cout == 0 {
		return
	}
	if offset < 0 || offset+g.cout > stride || (end-1)*stride+offset+g.cout > len(dst) {
		panic(fmt.Sprintf("%s: output rows [%d, %d) of %d channels at stride %d offset %d do not fit %d bytes", g.arch.Pkg, start, end, g.cout, stride, offset, len(dst)))
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
		g.arch.Kernel(n, g.cout, &g.kcs[0], taps,
			unsafe.Pointer(unsafe.SliceData(src)), unsafe.Pointer(&g.zero[0]), &g.ind[m*taps],
			unsafe.Pointer(&g.packed[0]), unsafe.Pointer(&dst[m*stride+offset]), stride, &g.rq)
	}
}

// Multiplier is a q8ref.Output's per-channel or shared multiplier of channel c.
func Multiplier(o q8ref.Output, c int) float32 {
	if len(o.Multipliers) == 1 {
		return o.Multipliers[0]
	}
	return o.Multipliers[c]
}
