package arm64

import "neonet.dev/neonet/kernels/q8"

// NEON is the ARMv8.0 path's microkernels, for Cortex-A72 and A57: the
// GEMM multiplies with SMULL/SMLAL2 into int16 and accumulates with SADALP.
var NEON = newKernels(newGEMM(neonLayout, gemm_s8_2x8c16_fp32_neon))

// NEONDot is the ARMv8.2 dot-product path's microkernels, for Cortex-A76
// and A78: the GEMM multiplies with SDOT; the other kernels are NEON's.
var NEONDot = newKernels(newGEMM(dotLayout, gemm_s8_4x16c4_fp32_neondot))

// newKernels is a set of the NEON kernels around one GEMM.
func newKernels(gemm q8.GEMM) *q8.Kernels {
	return &q8.Kernels{
		GEMM:          gemm,
		Depthwise:     depthwise,
		MaxPoolWindow: maxpool_s8_c16_neon,
		AvgPoolWindow: avgPoolWindow,
		Add:           add,
		AddBlock:      addBlock,
		MulChannels:   mulChannels,
		LookupTable:   lut_s8_c64_neon,
		LookupBlock:   16,
	}
}

// The kernels whose assembly reads the output zero point and bounds as
// three arguments, with kernels/q8's signatures.

func avgPoolWindow(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq q8.Requant) {
	avgpool_s8_c16_fp32_neon(dst, src, channels, winH, winW, rowStride, corr, mult, rq.Zero, rq.Lo, rq.Hi)
}

func add(dst, a, b []int8, zA, zB int32, mA, mB float32, rq q8.Requant) {
	vadd_s8_c16_fp32_neon(dst, a, b, zA, zB, mA, mB, rq.Zero, rq.Lo, rq.Hi)
}

func addBlock(a, b [16]int8, zA, zB int32, mA, mB float32, rq q8.Requant) (d [16]int8) {
	vadd_s8_c16_fp32_neon(d[:], a[:], b[:], zA, zB, mA, mB, rq.Zero, rq.Lo, rq.Hi)
	return d
}

func mulChannels(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq q8.Requant) {
	vmulc_s8_c16_fp32_neon(dst, x, s, pixels, channels, zX, zS, mult, rq.Zero, rq.Lo, rq.Hi)
}
