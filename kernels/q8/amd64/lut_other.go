//go:build !amd64 || purego

package amd64

import "neonet.dev/neonet/kernels/q8ref"

// lut_s8_c32_avx2 is the Go twin of the assembly kernel: it maps the first
// len(dst) rounded down to 32 values.
func lut_s8_c32_avx2(dst, src []int8, table *[256]int8) {
	n := len(dst) &^ 31
	q8ref.LookupTable(dst[:n], src[:n], table)
}
