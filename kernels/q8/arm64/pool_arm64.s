//go:build arm64 && !purego

#include "textflag.h"

// func maxpool_s8_c16_neon(dst, src []int8, channels, winH, winW, rowStride int)
//
// One output pixel of a max pool: dst[c] is the maximum over a winH x winW
// window of pixels (channels apart along a row, rowStride bytes between
// rows, src at the top-left pixel), or -128 for an empty window. 16
// channels per step; the last block is moved back to end at channel C-16,
// so channels >= 16 is required and a tail recomputes a few channels.
//
// Registers:
//   R0 dst   R1 src   R2 channels   R3 winH   R4 winW   R5 rowStride
//   R6 channel start   R7 channels-16   R8 row address   R9 rows left
//   R10 pixel address  R11 pixels left  R12 scratch
//   V0 running maximum   V1 pixel   V2 -128 x16
TEXT ·maxpool_s8_c16_neon(SB), NOSPLIT, $0-80
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD channels+48(FP), R2
	MOVD winH+56(FP), R3
	MOVD winW+64(FP), R4
	MOVD rowStride+72(FP), R5
	VMOVI $0x80, V2.B16
	SUB  $16, R2, R7
	MOVD $0, R6

maxBlock:
	CMP  R7, R6
	CSEL GT, R7, R6, R6 // the tail block ends at the last channel
	VORR V2.B16, V2.B16, V0.B16
	ADD  R6, R1, R8
	MOVD R3, R9
	CBZ  R9, maxStore
	CBZ  R4, maxStore

maxRow:
	MOVD R8, R10
	MOVD R4, R11

maxPixel:
	VLD1.P (R10)(R2), [V1.B16]
	WORD $0x4e216400 // smax v0.16b, v0.16b, v1.16b
	SUBS $1, R11, R11
	BNE  maxPixel
	ADD  R5, R8, R8
	SUBS $1, R9, R9
	BNE  maxRow

maxStore:
	ADD  R6, R0, R12
	VST1 [V0.B16], (R12)
	ADD  $16, R6, R6
	CMP  R2, R6
	BLT  maxBlock
	RET

// func avgpool_s8_c16_fp32_neon(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, zero, lo, hi int32)
//
// One output pixel of an average pool, over the same window walk as
// maxpool_s8_c16_neon: acc[c] = corr + sum of the window's values (corr
// is -count*zIn, the zero point of every value summed), then
// quant.Requantize's steps: SCVTF, FMUL by mult, FCVTNS (ties to even),
// SQADD zero, SQXTN, SQXTN, SMAX lo, SMIN hi. Sums are int32 (SXTL then
// SADDW), so any window size is exact. Needs channels >= 16.
//
// Registers:
//   R0-R12 as maxpool_s8_c16_neon
//   V1 pixel   V2-V3 int16 halves   V20 mult x4   V23 corr x4
//   V24-V27 int32 sums   V28 zero x4   V29 lo x16   V30 hi x16
TEXT ·avgpool_s8_c16_fp32_neon(SB), NOSPLIT, $0-100
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD channels+48(FP), R2
	MOVD winH+56(FP), R3
	MOVD winW+64(FP), R4
	MOVD rowStride+72(FP), R5
	MOVW corr+80(FP), R12
	VDUP R12, V23.S4
	MOVWU mult+84(FP), R12
	VDUP R12, V20.S4
	MOVW zero+88(FP), R12
	VDUP R12, V28.S4
	MOVW lo+92(FP), R12
	VDUP R12, V29.B16
	MOVW hi+96(FP), R12
	VDUP R12, V30.B16
	SUB  $16, R2, R7
	MOVD $0, R6

avgBlock:
	CMP  R7, R6
	CSEL GT, R7, R6, R6
	VORR V23.B16, V23.B16, V24.B16
	VORR V23.B16, V23.B16, V25.B16
	VORR V23.B16, V23.B16, V26.B16
	VORR V23.B16, V23.B16, V27.B16
	ADD  R6, R1, R8
	MOVD R3, R9
	CBZ  R9, avgStore
	CBZ  R4, avgStore

avgRow:
	MOVD R8, R10
	MOVD R4, R11

avgPixel:
	VLD1.P (R10)(R2), [V1.B16]
	WORD $0x0f08a422 // sxtl v2.8h, v1.8b
	WORD $0x4f08a423 // sxtl2 v3.8h, v1.16b
	WORD $0x0e621318 // saddw v24.4s, v24.4s, v2.4h
	WORD $0x4e621339 // saddw2 v25.4s, v25.4s, v2.8h
	WORD $0x0e63135a // saddw v26.4s, v26.4s, v3.4h
	WORD $0x4e63137b // saddw2 v27.4s, v27.4s, v3.8h
	SUBS $1, R11, R11
	BNE  avgPixel
	ADD  R5, R8, R8
	SUBS $1, R9, R9
	BNE  avgRow

avgStore:
	WORD $0x4e21db18 // scvtf v24.4s, v24.4s
	WORD $0x4e21db39 // scvtf v25.4s, v25.4s
	WORD $0x4e21db5a // scvtf v26.4s, v26.4s
	WORD $0x4e21db7b // scvtf v27.4s, v27.4s
	WORD $0x6e34df18 // fmul v24.4s, v24.4s, v20.4s
	WORD $0x6e34df39 // fmul v25.4s, v25.4s, v20.4s
	WORD $0x6e34df5a // fmul v26.4s, v26.4s, v20.4s
	WORD $0x6e34df7b // fmul v27.4s, v27.4s, v20.4s
	WORD $0x4e21ab18 // fcvtns v24.4s, v24.4s
	WORD $0x4e21ab39 // fcvtns v25.4s, v25.4s
	WORD $0x4e21ab5a // fcvtns v26.4s, v26.4s
	WORD $0x4e21ab7b // fcvtns v27.4s, v27.4s
	WORD $0x4ebc0f18 // sqadd v24.4s, v24.4s, v28.4s
	WORD $0x4ebc0f39 // sqadd v25.4s, v25.4s, v28.4s
	WORD $0x4ebc0f5a // sqadd v26.4s, v26.4s, v28.4s
	WORD $0x4ebc0f7b // sqadd v27.4s, v27.4s, v28.4s
	WORD $0x0e614b02 // sqxtn v2.4h, v24.4s
	WORD $0x4e614b22 // sqxtn2 v2.8h, v25.4s
	WORD $0x0e614b43 // sqxtn v3.4h, v26.4s
	WORD $0x4e614b63 // sqxtn2 v3.8h, v27.4s
	WORD $0x0e214842 // sqxtn v2.8b, v2.8h
	WORD $0x4e214862 // sqxtn2 v2.16b, v3.8h
	WORD $0x4e3d6442 // smax v2.16b, v2.16b, v29.16b
	WORD $0x4e3e6c42 // smin v2.16b, v2.16b, v30.16b
	ADD  R6, R0, R12
	VST1 [V2.B16], (R12)
	ADD  $16, R6, R6
	CMP  R2, R6
	BLT  avgBlock
	RET
