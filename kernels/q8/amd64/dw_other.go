//go:build !amd64 || purego

package amd64

// dwconv_s8_kxk_c16_fp32_avx2 is the Go twin of the assembly kernel of the
// same name: one output row of a depthwise convolution from dwPack's
// layout.
func dwconv_s8_kxk_c16_fp32_avx2(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int16, bq []int32, width, channels, kh, kw int, rq *requant) {
	dwconvPortable(dst, src, zeroPad, rowOffs, colOffs, w, bq, width, channels, kh, kw, rq)
}
