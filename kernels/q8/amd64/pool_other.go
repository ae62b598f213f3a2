//go:build !amd64 || purego

package amd64

// maxpool_s8_c16_avx2 is the Go twin of the assembly kernel.
func maxpool_s8_c16_avx2(dst, src []int8, channels, winH, winW, rowStride int) {
	maxpoolWindowGo(dst, src, channels, winH, winW, rowStride)
}

// avgpool_s8_c16_fp32_avx2 is the Go twin of the assembly kernel.
func avgpool_s8_c16_fp32_avx2(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq *requant) {
	avgpoolWindowGo(dst, src, channels, winH, winW, rowStride, corr, mult, rq)
}
