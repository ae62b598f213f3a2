//go:build !amd64 || purego

package amd64

import "unsafe"

// gemm_s8_4x8c4_fp32_avx2 is the Go twin of the assembly microkernel: same
// signature, same packed layout, same results.
func gemm_s8_4x8c4_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant) {
	gemmPortable(mc, nc, kcs, taps, src, zero, ind, w, dst, dstStride, rq)
}
