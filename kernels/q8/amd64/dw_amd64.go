//go:build amd64 && !purego

package amd64

// dwconv_s8_kxk_c16_fp32_avx2 computes one output row of a depthwise
// convolution, 16 channels per step, any window up to dwMaxTaps taps; see
// dwconvPortable for the loop it runs and dwconv_amd64.s for the register
// use. It needs channels >= 16.
//
//go:noescape
func dwconv_s8_kxk_c16_fp32_avx2(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int16, bq []int32, width, channels, kh, kw int, rq *requant)
