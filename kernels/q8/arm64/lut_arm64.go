//go:build arm64 && !purego

package arm64

// lut_s8_c64_neon maps the first len(dst) rounded down to 16 values of
// src through table (see q8ref.LookupTable); the caller maps the rest.
//
//go:noescape
func lut_s8_c64_neon(dst, src []int8, table *[256]int8)
