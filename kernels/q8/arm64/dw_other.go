//go:build !arm64 || purego

package arm64

import "neonet.dev/neonet/kernels/q8"

// dwconv_s8_kxk_c16_fp32_neon is the Go twin of the assembly kernel of the
// same name: one output row of a depthwise convolution. pairs only says
// how the assembly groups taps; the sums are the same.
func dwconv_s8_kxk_c16_fp32_neon(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw, pairs int, zero, lo, hi int32) {
	q8.DepthwiseRowGo(dst, src, zeroPad, rowOffs, colOffs, w, bias, mult, width, channels, kh, kw, zero, lo, hi)
}

// dwconv_s8_kxk_nopad_c16_fp32_neon is the Go twin of the assembly kernel
// for windows inside the image.
func dwconv_s8_kxk_nopad_c16_fp32_neon(dst, src []int8, taps []int64, w []int8, bias []int32, mult []float32, width, channels, stride int, zero, lo, hi int32) {
	dwconvNoPadGo(dst, src, taps, w, bias, mult, width, channels, stride, zero, lo, hi)
}
