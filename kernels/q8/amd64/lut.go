package amd64

import "neonet.dev/neonet/kernels/q8ref"

// LookupTable maps every value through a 256-entry table, as
// q8ref.LookupTable: dst[i] = table[src[i]+128]. dst and src may be the same
// slice; src must hold at least len(dst) values. Paths other than AVX2
// (and AVX2 on a CPU without it) run Ref.
func LookupTable(p Path, dst, src []int8, table *[256]int8) {
	if !runsAVX2(p) {
		q8ref.LookupTable(dst, src, table)
		return
	}
	src = src[:len(dst)]
	lut_s8_c32_avx2(dst, src, table)
	n := len(dst) &^ 31
	lutGo(dst[n:], src[n:], table)
}

// lutGo is the scalar lookup: dst[i] = table[src[i]+128].
func lutGo(dst, src []int8, table *[256]int8) {
	src = src[:len(dst)]
	for i, q := range src {
		dst[i] = table[int(q)+128]
	}
}
