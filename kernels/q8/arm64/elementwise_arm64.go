//go:build arm64 && !purego

package arm64

// vadd_s8_c16_fp32_neon adds the first len(dst) rounded down to 16 values
// as q8ref.Add does; the caller adds the rest.
//
//go:noescape
func vadd_s8_c16_fp32_neon(dst, a, b []int8, zA, zB int32, mA, mB float32, zero, lo, hi int32)

// vmulc_s8_c16_fp32_neon rescales channels [0, channels rounded down to
// 16) of pixels pixels as q8.MulChannelsGo does; the caller rescales the rest.
//
//go:noescape
func vmulc_s8_c16_fp32_neon(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, zero, lo, hi int32)
