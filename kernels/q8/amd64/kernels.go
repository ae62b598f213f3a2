package amd64

import "neonet.dev/neonet/kernels/q8"

// AVX2 is the x86-64 path's microkernels: VPMOVSXBW/VPMADDWD products
// into int32 and float32 requantization, for CPUs with AVX2 (Haswell, Zen
// and later).
var AVX2 = &q8.Kernels{
	GEMM:          gemm,
	Depthwise:     depthwise,
	MaxPoolWindow: maxpool_s8_c16_avx2,
	AvgPoolWindow: avgPoolWindow,
	Add:           add,
	AddBlock:      addBlock,
	MulChannels:   mulChannels,
	LookupTable:   lut_s8_c32_avx2,
	LookupBlock:   32,
}

// The kernels whose assembly reads the output zero point and bounds as a
// requant, with kernels/q8's signatures: a q8.Requant is a requant.

func avgPoolWindow(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq q8.Requant) {
	avgpool_s8_c16_fp32_avx2(dst, src, channels, winH, winW, rowStride, corr, mult, (*requant)(&rq))
}

func add(dst, a, b []int8, zA, zB int32, mA, mB float32, rq q8.Requant) {
	vadd_s8_c16_fp32_avx2(dst, a, b, zA, zB, mA, mB, (*requant)(&rq))
}

func addBlock(a, b [16]int8, zA, zB int32, mA, mB float32, rq q8.Requant) (d [16]int8) {
	vadd_s8_c16_fp32_avx2(d[:], a[:], b[:], zA, zB, mA, mB, (*requant)(&rq))
	return d
}

func mulChannels(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq q8.Requant) {
	vmulc_s8_c16_fp32_avx2(dst, x, s, pixels, channels, zX, zS, mult, (*requant)(&rq))
}
