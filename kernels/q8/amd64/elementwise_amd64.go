//go:build amd64 && !purego

package amd64

// vadd_s8_c16_fp32_avx2 adds the first len(dst) rounded down to 16
// values, 16 per step; see q8ref.Add.
//
//go:noescape
func vadd_s8_c16_fp32_avx2(dst, a, b []int8, zA, zB int32, mA, mB float32, rq *requant)

// vmulc_s8_c16_fp32_avx2 rescales channels [0, channels rounded down to
// 16) of every pixel, 16 per step; see q8.MulChannelsGo.
//
//go:noescape
func vmulc_s8_c16_fp32_avx2(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq *requant)
