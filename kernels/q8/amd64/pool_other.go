//go:build !amd64 || purego

package amd64

import "neonet.dev/neonet/kernels/q8"

// maxpool_s8_c16_avx2 is the Go twin of the assembly kernel.
func maxpool_s8_c16_avx2(dst, src []int8, channels, winH, winW, rowStride int) {
	q8.MaxPoolWindowGo(dst, src, channels, winH, winW, rowStride)
}

// avgpool_s8_c16_fp32_avx2 is the Go twin of the assembly kernel.
func avgpool_s8_c16_fp32_avx2(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq *requant) {
	q8.AvgPoolWindowGo(dst, src, channels, winH, winW, rowStride, corr, mult, rq.Zero, rq.Lo, rq.Hi)
}
