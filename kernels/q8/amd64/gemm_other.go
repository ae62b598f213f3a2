//go:build !amd64 || purego

package amd64

import "unsafe"

// gemm_s8_4x8c4_fp32_avx2 is the Go twin of the assembly microkernel: same
// signature, same packed layout, same results.
func gemm_s8_4x8c4_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant) {
	gemmPortable4x8(mc, nc, kcs, taps, src, zero, ind, w, dst, dstStride, rq)
}

// gemm_s8_6x16c2_fp32_avx2 is the Go twin of the assembly microkernel:
// same signature, same packed layout, same results.
func gemm_s8_6x16c2_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant, kp, flags int) {
	gemmPortable6x16(mc, nc, kcs, taps, src, zero, ind, w, dst, dstStride, rq, kp, flags)
}
