//go:build arm64 && !purego

package arm64

// dwconv_s8_kxk_c16_fp32_neon computes one output row of a depthwise
// convolution; see q8.DepthwiseRowGo for the loop it runs and dw_arm64.s for
// the register allocation. It needs channels >= 16 and kh*kw <= dwMaxTaps,
// and pairs (taps summed two at a time in int16) may be nonzero only when
// no weight is -128.
//
//go:noescape
func dwconv_s8_kxk_c16_fp32_neon(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw, pairs int, zero, lo, hi int32)

// dwconv_s8_kxk_nopad_c16_fp32_neon computes output pixels whose windows
// lie inside the image; see dwconvNoPadGo for the loop it runs. It needs
// channels >= 16, an even width, an even number of taps and no weight of
// -128.
//
//go:noescape
func dwconv_s8_kxk_nopad_c16_fp32_neon(dst, src []int8, taps []int64, w []int8, bias []int32, mult []float32, width, channels, stride int, zero, lo, hi int32)
