//go:build !arm64 || purego

package arm64

import "neonet.dev/neonet/kernels/q8"

// maxpool_s8_c16_neon is the Go twin of the assembly kernel.
func maxpool_s8_c16_neon(dst, src []int8, channels, winH, winW, rowStride int) {
	q8.MaxPoolWindowGo(dst, src, channels, winH, winW, rowStride)
}

// avgpool_s8_c16_fp32_neon is the Go twin of the assembly kernel.
func avgpool_s8_c16_fp32_neon(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, zero, lo, hi int32) {
	q8.AvgPoolWindowGo(dst, src, channels, winH, winW, rowStride, corr, mult, zero, lo, hi)
}
