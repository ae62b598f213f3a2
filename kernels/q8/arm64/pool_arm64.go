//go:build arm64 && !purego

package arm64

// maxpool_s8_c16_neon computes one output pixel of a max pool as
// q8.MaxPoolWindowGo does. It needs channels >= 16.
//
//go:noescape
func maxpool_s8_c16_neon(dst, src []int8, channels, winH, winW, rowStride int)

// avgpool_s8_c16_fp32_neon computes one output pixel of an average pool as
// q8.AvgPoolWindowGo does. It needs channels >= 16.
//
//go:noescape
func avgpool_s8_c16_fp32_neon(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, zero, lo, hi int32)
