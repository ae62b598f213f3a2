//go:build !arm64 || purego

package arm64

import "neonet.dev/neonet/kernels/q8ref"

// lut_s8_c64_neon is the Go twin of the assembly kernel: it maps the first
// len(dst) rounded down to 16 values.
func lut_s8_c64_neon(dst, src []int8, table *[256]int8) {
	n := len(dst) &^ 15
	q8ref.LookupTable(dst[:n], src[:n], table)
}
