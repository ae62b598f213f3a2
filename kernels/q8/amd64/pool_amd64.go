//go:build amd64 && !purego

package amd64

// maxpool_s8_c16_avx2 writes the maximum over a winH x winW window, 16
// channels per step; see q8.MaxPoolWindowGo. It needs channels >= 16.
//
//go:noescape
func maxpool_s8_c16_avx2(dst, src []int8, channels, winH, winW, rowStride int)

// avgpool_s8_c16_fp32_avx2 requantizes corr plus the window's sums, 16
// channels per step; see q8.AvgPoolWindowGo. It needs channels >= 16.
//
//go:noescape
func avgpool_s8_c16_fp32_avx2(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq *requant)
