//go:build !amd64 || purego

package amd64

// vadd_s8_c16_fp32_avx2 is the Go twin of the assembly kernel: it adds the
// first len(dst) rounded down to 16 values.
func vadd_s8_c16_fp32_avx2(dst, a, b []int8, zA, zB int32, mA, mB float32, rq *requant) {
	n := len(dst) &^ 15
	vaddGo(dst[:n], a[:n], b[:n], zA, zB, mA, mB, rq)
}

// vmulc_s8_c16_fp32_avx2 is the Go twin of the assembly kernel: it
// rescales channels [0, channels rounded down to 16) of every pixel.
func vmulc_s8_c16_fp32_avx2(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq *requant) {
	vmulcGo(dst, x, s, pixels, channels, 0, channels&^15, zX, zS, mult, rq)
}
