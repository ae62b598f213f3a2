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
		AvgPoolWindow: avgpool_s8_c16_fp32_neon,
		Add:           vadd_s8_c16_fp32_neon,
		AddBlock:      addBlock,
		MulChannels:   vmulc_s8_c16_fp32_neon,
		LookupTable:   lut_s8_c64_neon,
		LookupBlock:   16,
	}
}

// addBlock adds one block of 16 values.
func addBlock(a, b [16]int8, zA, zB int32, mA, mB float32, zero, lo, hi int32) (d [16]int8) {
	vadd_s8_c16_fp32_neon(d[:], a[:], b[:], zA, zB, mA, mB, zero, lo, hi)
	return d
}
