//go:build amd64 && !purego

package amd64

import "unsafe"

// gemm_s8_4x8c4_fp32_avx2 is the indirect GEMM microkernel: 4 output
// pixels x 8 output channels per tile, input channels 4 at a time. Its
// contract is gemmPortable4x8's; gemm_4x8c4_avx2_amd64.s documents the
// register use.
//
//go:noescape
func gemm_s8_4x8c4_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant)

// gemm_s8_6x16c2_fp32_avx2 is the indirect GEMM microkernel of layers up
// to gemmPanelMaxK deep: it gathers the rows into an int16 panel in its
// stack frame, then computes 6 output pixels x 16 output channels per
// tile, input channels 2 at a time. Its contract is gemmPortable6x16's;
// gemm_6x16c2_avx2_amd64.s documents the register use.
//
//go:noescape
func gemm_s8_6x16c2_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant, kp, flags int)
