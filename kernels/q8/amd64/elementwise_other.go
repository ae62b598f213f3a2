//go:build !amd64 || purego

package amd64

import (
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
)

// vadd_s8_c16_fp32_avx2 is the Go twin of the assembly kernel: it adds the
// first len(dst) rounded down to 16 values.
func vadd_s8_c16_fp32_avx2(dst, a, b []int8, zA, zB int32, mA, mB float32, rq *requant) {
	n := len(dst) &^ 15
	q8ref.Add(dst[:n], a[:n], b[:n], zA, zB, mA, mB, q8ref.Output{Zero: rq.Zero, Lo: rq.Lo, Hi: rq.Hi})
}

// vmulc_s8_c16_fp32_avx2 is the Go twin of the assembly kernel: it
// rescales channels [0, channels rounded down to 16) of every pixel.
func vmulc_s8_c16_fp32_avx2(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq *requant) {
	q8.MulChannelsGo(dst, x, s, pixels, channels, 0, channels&^15, zX, zS, mult, rq.Zero, rq.Lo, rq.Hi)
}
