//go:build !arm64 || purego

package arm64

import "unsafe"

// The Go twins of the assembly microkernels: same signatures, same packed
// layouts, same results, so the drivers and their tests run everywhere.

func gemm_s8_2x8c16_fp32_neon(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, clamp *gemmClamp) {
	gemmPortable(neonLayout, mc, nc, kcs, taps, src, zero, ind, w, dst, dstStride, clamp)
}

func gemm_s8_4x16c4_fp32_neondot(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, clamp *gemmClamp) {
	gemmPortable(dotLayout, mc, nc, kcs, taps, src, zero, ind, w, dst, dstStride, clamp)
}
