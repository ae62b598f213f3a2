//go:build amd64 && !purego

package amd64

// lut_s8_c32_avx2 maps the first len(dst) rounded down to 32 values, 32
// per step; see q8ref.LookupTable and lut_amd64.s.
//
//go:noescape
func lut_s8_c32_avx2(dst, src []int8, table *[256]int8)
