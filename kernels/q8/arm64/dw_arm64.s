//go:build arm64 && !purego

#include "textflag.h"

// func dwconv_s8_kxk_c16_fp32_neon(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int8, bias []int32, mult []float32, width, channels, kh, kw, pairs int, zero, lo, hi int32)
//
// One output row of an int8 depthwise convolution, 16 channels per step.
// For each of the width output pixels, the kh*kw tap addresses are resolved
// once into a table on the stack (src + rowOffs[ky] + colOffs[x*kw+kx], or
// zeroPad when either offset is negative, i.e. the tap is in the padding).
// Then, for each block of 16 channels (the last block is moved back to end
// at channel C-16, so a tail recomputes a few channels instead of reading
// past the pixel), the taps add x*w into four int32x4 accumulators
// started from the bias, and the block is requantized exactly as
// quant.Requantize: SCVTF, FMUL (never fused), FCVTNS (ties to even),
// SQADD zero point, SQXTN to int16 then int8, SMAX lo, SMIN hi.
// Needs channels >= 16 and kh*kw <= 25 (the Go side checks).
//
// The first 2*pairs taps go two at a time: SMULL then SMLAL sum two
// products in int16 before one set of SADDWs widens them. That is exact
// because the caller sets pairs only when no weight is -128, so
// |x*w| <= 128*127 and two products stay within int16. The remaining taps
// (one, or all when pairs is 0) go one at a time.
//
// Registers:
//   R0 dst pixel        R1 src image        R2 zeroPad          R3 rowOffs
//   R4 colOffs (pixel)  R5 w                R6 bias             R7 mult
//   R8 pixels left      R9 channels         R10 kh              R11 kw
//   R12 channel start   R13 channels-16     R14 scratch, 2nd tap address in a pair
//   R15 weight tap (while building the table: the two offsets or-ed)
//   R19 tap table walk  R20 taps left       R21 row offset      R22 col offset walk
//   R23 kx left         R24 tap address     R25 taps = kh*kw, then single taps
//   V0, V2 inputs x16   V1, V3 weights x16  V16-V17 int16 products
//   V20-V23 multipliers V24-V27 int32 accumulators
//   V28 zero point x4   V29 lo x16          V30 hi x16
TEXT ·dwconv_s8_kxk_c16_fp32_neon(SB), NOSPLIT, $200-244
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD zeroPad_base+48(FP), R2
	MOVD rowOffs_base+72(FP), R3
	MOVD colOffs_base+96(FP), R4
	MOVD w_base+120(FP), R5
	MOVD bias_base+144(FP), R6
	MOVD mult_base+168(FP), R7
	MOVD width+192(FP), R8
	MOVD channels+200(FP), R9
	MOVD kh+208(FP), R10
	MOVD kw+216(FP), R11
	MOVW zero+232(FP), R14
	VDUP R14, V28.S4
	MOVW lo+236(FP), R14
	VDUP R14, V29.B16
	MOVW hi+240(FP), R14
	VDUP R14, V30.B16
	SUB  $16, R9, R13
	MUL  R10, R11, R25
	MOVD pairs+224(FP), R14
	SUB  R14<<1, R25, R25
	CBZ  R8, done

pixel:
	// Resolve this pixel's tap addresses into the table at taps-200(SP).
	MOVD $taps-200(SP), R19
	MOVD R3, R14
	MOVD R10, R20

tapRow:
	MOVW.P 4(R14), R21
	MOVD   R4, R22
	MOVD   R11, R23

tapCol:
	MOVW.P 4(R22), R24
	ORR    R21, R24, R15 // negative if either offset is padding
	ADD    R21, R24, R24
	ADD    R1, R24, R24
	CMP    $0, R15
	CSEL   LT, R2, R24, R24
	MOVD.P R24, 8(R19)
	SUBS   $1, R23, R23
	BNE    tapCol
	SUBS   $1, R20, R20
	BNE    tapRow

	MOVD $0, R12

block:
	CMP  R13, R12
	CSEL GT, R13, R12, R12 // the tail block ends at the last channel
	ADD  R12<<2, R6, R14
	VLD1 (R14), [V24.S4, V25.S4, V26.S4, V27.S4]
	ADD  R12, R5, R15
	MOVD $taps-200(SP), R19
	MOVD pairs+224(FP), R20
	CBZ  R20, singles

pair:
	// Register-offset loads, and one weight pointer update per pair rather
	// than two chained post-increments.
	LDP.P  16(R19), (R24, R14)
	WORD $0x3cec6b00 // ldr q0, [x24, x12]
	WORD $0x3cec69c2 // ldr q2, [x14, x12]
	WORD $0x3dc001e1 // ldr q1, [x15]
	WORD $0x3ce969e3 // ldr q3, [x15, x9]
	ADD    R9<<1, R15, R15
	WORD $0x0e21c010 // smull v16.8h, v0.8b, v1.8b
	WORD $0x4e21c011 // smull2 v17.8h, v0.16b, v1.16b
	WORD $0x0e238050 // smlal v16.8h, v2.8b, v3.8b
	WORD $0x4e238051 // smlal2 v17.8h, v2.16b, v3.16b
	WORD $0x0e701318 // saddw v24.4s, v24.4s, v16.4h
	WORD $0x4e701339 // saddw2 v25.4s, v25.4s, v16.8h
	WORD $0x0e71135a // saddw v26.4s, v26.4s, v17.4h
	WORD $0x4e71137b // saddw2 v27.4s, v27.4s, v17.8h
	SUBS $1, R20, R20
	BNE  pair

singles:
	MOVD R25, R20
	CBZ  R20, requantize

tap:
	MOVD.P 8(R19), R24
	WORD $0x3cec6b00 // ldr q0, [x24, x12]
	WORD $0x3dc001e1 // ldr q1, [x15]
	ADD    R9, R15, R15
	WORD $0x0e21c010 // smull v16.8h, v0.8b, v1.8b
	WORD $0x4e21c011 // smull2 v17.8h, v0.16b, v1.16b
	WORD $0x0e701318 // saddw v24.4s, v24.4s, v16.4h
	WORD $0x4e701339 // saddw2 v25.4s, v25.4s, v16.8h
	WORD $0x0e71135a // saddw v26.4s, v26.4s, v17.4h
	WORD $0x4e71137b // saddw2 v27.4s, v27.4s, v17.8h
	SUBS $1, R20, R20
	BNE  tap

requantize:
	ADD  R12<<2, R7, R14
	VLD1 (R14), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD $0x4e21db18 // scvtf v24.4s, v24.4s
	WORD $0x4e21db39 // scvtf v25.4s, v25.4s
	WORD $0x4e21db5a // scvtf v26.4s, v26.4s
	WORD $0x4e21db7b // scvtf v27.4s, v27.4s
	WORD $0x6e34df18 // fmul v24.4s, v24.4s, v20.4s
	WORD $0x6e35df39 // fmul v25.4s, v25.4s, v21.4s
	WORD $0x6e36df5a // fmul v26.4s, v26.4s, v22.4s
	WORD $0x6e37df7b // fmul v27.4s, v27.4s, v23.4s
	WORD $0x4e21ab18 // fcvtns v24.4s, v24.4s
	WORD $0x4e21ab39 // fcvtns v25.4s, v25.4s
	WORD $0x4e21ab5a // fcvtns v26.4s, v26.4s
	WORD $0x4e21ab7b // fcvtns v27.4s, v27.4s
	WORD $0x4ebc0f18 // sqadd v24.4s, v24.4s, v28.4s
	WORD $0x4ebc0f39 // sqadd v25.4s, v25.4s, v28.4s
	WORD $0x4ebc0f5a // sqadd v26.4s, v26.4s, v28.4s
	WORD $0x4ebc0f7b // sqadd v27.4s, v27.4s, v28.4s
	WORD $0x0e614b10 // sqxtn v16.4h, v24.4s
	WORD $0x4e614b30 // sqxtn2 v16.8h, v25.4s
	WORD $0x0e614b51 // sqxtn v17.4h, v26.4s
	WORD $0x4e614b71 // sqxtn2 v17.8h, v27.4s
	WORD $0x0e214a10 // sqxtn v16.8b, v16.8h
	WORD $0x4e214a30 // sqxtn2 v16.16b, v17.8h
	WORD $0x4e3d6610 // smax v16.16b, v16.16b, v29.16b
	WORD $0x4e3e6e10 // smin v16.16b, v16.16b, v30.16b
	ADD  R12, R0, R14
	VST1 [V16.B16], (R14)

	ADD $16, R12, R12
	CMP R9, R12
	BLT block

	ADD  R9, R0, R0
	ADD  R11<<2, R4, R4
	SUBS $1, R8, R8
	BNE  pixel

done:
	RET

// func dwconv_s8_kxk_nopad_c16_fp32_neon(dst, src []int8, taps []int64, w []int8, bias []int32, mult []float32, width, channels, stride int, zero, lo, hi int32)
//
// The same convolution for output pixels whose windows lie wholly inside
// the image, as most do: no padding to test, so no per-pixel tap table.
// src starts at the first window's top-left input pixel, consecutive
// windows are stride bytes apart, and taps[t] is the fixed byte offset of
// tap t from a window's top-left pixel. Pixels go two at a time, so that
// each weight load serves both, and taps two at a time as in
// dwconv_s8_kxk_c16_fp32_neon (SMULL+SMLAL in int16). The caller makes
// both counts even (width, and taps by a last tap of zero weights) and
// uses this kernel only when no weight is -128. Blocks, the channel tail
// and the requantization are as in dwconv_s8_kxk_c16_fp32_neon.
//
// Registers:
//   R0 dst pixel pair   R1 window pair      R3 taps             R5 w
//   R6 bias             R7 mult             R8 pixel pairs left R9 channels
//   R10 stride          R11 tap pairs       R12 channel start   R13 channels-16
//   R14 scratch, 2nd tap offset in a pair   R15 weight tap      R19 taps walk
//   R20 tap pairs left  R21, R22 the two windows + channel start
//   R24 tap offset
//   V0, V2 / V4, V6 inputs x16 of the two pixels       V1, V3 weights x16
//   V16-V17 / V18-V19 int16 products    V24-V27 / V8-V11 int32 accumulators
//   V20-V23 multipliers V28 zero point x4   V29 lo x16   V30 hi x16
TEXT ·dwconv_s8_kxk_nopad_c16_fp32_neon(SB), NOSPLIT, $0-180
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD taps_base+48(FP), R3
	MOVD taps_len+56(FP), R11
	LSR  $1, R11, R11
	MOVD w_base+72(FP), R5
	MOVD bias_base+96(FP), R6
	MOVD mult_base+120(FP), R7
	MOVD width+144(FP), R8
	LSR  $1, R8, R8
	MOVD channels+152(FP), R9
	MOVD stride+160(FP), R10
	MOVW zero+168(FP), R14
	VDUP R14, V28.S4
	MOVW lo+172(FP), R14
	VDUP R14, V29.B16
	MOVW hi+176(FP), R14
	VDUP R14, V30.B16
	SUB  $16, R9, R13
	CBZ  R8, np2Done
	CBZ  R11, np2Done

np2Pixel:
	MOVD $0, R12

np2Block:
	CMP  R13, R12
	CSEL GT, R13, R12, R12 // the tail block ends at the last channel
	ADD  R12<<2, R6, R14
	VLD1 (R14), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1 (R14), [V8.S4, V9.S4, V10.S4, V11.S4]
	ADD  R12, R5, R15
	ADD  R12, R1, R21
	ADD  R10, R21, R22
	MOVD R3, R19
	MOVD R11, R20

np2Pair:
	LDP.P  16(R19), (R24, R14)
	WORD $0x3cf86aa0 // ldr q0, [x21, x24]
	WORD $0x3cee6aa2 // ldr q2, [x21, x14]
	WORD $0x3cf86ac4 // ldr q4, [x22, x24]
	WORD $0x3cee6ac6 // ldr q6, [x22, x14]
	WORD $0x3dc001e1 // ldr q1, [x15]
	WORD $0x3ce969e3 // ldr q3, [x15, x9]
	ADD    R9<<1, R15, R15
	WORD $0x0e21c010 // smull v16.8h, v0.8b, v1.8b
	WORD $0x4e21c011 // smull2 v17.8h, v0.16b, v1.16b
	WORD $0x0e21c092 // smull v18.8h, v4.8b, v1.8b
	WORD $0x4e21c093 // smull2 v19.8h, v4.16b, v1.16b
	WORD $0x0e238050 // smlal v16.8h, v2.8b, v3.8b
	WORD $0x4e238051 // smlal2 v17.8h, v2.16b, v3.16b
	WORD $0x0e2380d2 // smlal v18.8h, v6.8b, v3.8b
	WORD $0x4e2380d3 // smlal2 v19.8h, v6.16b, v3.16b
	WORD $0x0e701318 // saddw v24.4s, v24.4s, v16.4h
	WORD $0x4e701339 // saddw2 v25.4s, v25.4s, v16.8h
	WORD $0x0e71135a // saddw v26.4s, v26.4s, v17.4h
	WORD $0x4e71137b // saddw2 v27.4s, v27.4s, v17.8h
	WORD $0x0e721108 // saddw v8.4s, v8.4s, v18.4h
	WORD $0x4e721129 // saddw2 v9.4s, v9.4s, v18.8h
	WORD $0x0e73114a // saddw v10.4s, v10.4s, v19.4h
	WORD $0x4e73116b // saddw2 v11.4s, v11.4s, v19.8h
	SUBS $1, R20, R20
	BNE  np2Pair

np2Requantize:
	ADD  R12<<2, R7, R14
	VLD1 (R14), [V20.S4, V21.S4, V22.S4, V23.S4]
	WORD $0x4e21db18 // scvtf v24.4s, v24.4s
	WORD $0x4e21db39 // scvtf v25.4s, v25.4s
	WORD $0x4e21db5a // scvtf v26.4s, v26.4s
	WORD $0x4e21db7b // scvtf v27.4s, v27.4s
	WORD $0x6e34df18 // fmul v24.4s, v24.4s, v20.4s
	WORD $0x6e35df39 // fmul v25.4s, v25.4s, v21.4s
	WORD $0x6e36df5a // fmul v26.4s, v26.4s, v22.4s
	WORD $0x6e37df7b // fmul v27.4s, v27.4s, v23.4s
	WORD $0x4e21ab18 // fcvtns v24.4s, v24.4s
	WORD $0x4e21ab39 // fcvtns v25.4s, v25.4s
	WORD $0x4e21ab5a // fcvtns v26.4s, v26.4s
	WORD $0x4e21ab7b // fcvtns v27.4s, v27.4s
	WORD $0x4ebc0f18 // sqadd v24.4s, v24.4s, v28.4s
	WORD $0x4ebc0f39 // sqadd v25.4s, v25.4s, v28.4s
	WORD $0x4ebc0f5a // sqadd v26.4s, v26.4s, v28.4s
	WORD $0x4ebc0f7b // sqadd v27.4s, v27.4s, v28.4s
	WORD $0x0e614b10 // sqxtn v16.4h, v24.4s
	WORD $0x4e614b30 // sqxtn2 v16.8h, v25.4s
	WORD $0x0e614b51 // sqxtn v17.4h, v26.4s
	WORD $0x4e614b71 // sqxtn2 v17.8h, v27.4s
	WORD $0x0e214a10 // sqxtn v16.8b, v16.8h
	WORD $0x4e214a30 // sqxtn2 v16.16b, v17.8h
	WORD $0x4e3d6610 // smax v16.16b, v16.16b, v29.16b
	WORD $0x4e3e6e10 // smin v16.16b, v16.16b, v30.16b
	WORD $0x4e21d908 // scvtf v8.4s, v8.4s
	WORD $0x4e21d929 // scvtf v9.4s, v9.4s
	WORD $0x4e21d94a // scvtf v10.4s, v10.4s
	WORD $0x4e21d96b // scvtf v11.4s, v11.4s
	WORD $0x6e34dd08 // fmul v8.4s, v8.4s, v20.4s
	WORD $0x6e35dd29 // fmul v9.4s, v9.4s, v21.4s
	WORD $0x6e36dd4a // fmul v10.4s, v10.4s, v22.4s
	WORD $0x6e37dd6b // fmul v11.4s, v11.4s, v23.4s
	WORD $0x4e21a908 // fcvtns v8.4s, v8.4s
	WORD $0x4e21a929 // fcvtns v9.4s, v9.4s
	WORD $0x4e21a94a // fcvtns v10.4s, v10.4s
	WORD $0x4e21a96b // fcvtns v11.4s, v11.4s
	WORD $0x4ebc0d08 // sqadd v8.4s, v8.4s, v28.4s
	WORD $0x4ebc0d29 // sqadd v9.4s, v9.4s, v28.4s
	WORD $0x4ebc0d4a // sqadd v10.4s, v10.4s, v28.4s
	WORD $0x4ebc0d6b // sqadd v11.4s, v11.4s, v28.4s
	WORD $0x0e614912 // sqxtn v18.4h, v8.4s
	WORD $0x4e614932 // sqxtn2 v18.8h, v9.4s
	WORD $0x0e614953 // sqxtn v19.4h, v10.4s
	WORD $0x4e614973 // sqxtn2 v19.8h, v11.4s
	WORD $0x0e214a52 // sqxtn v18.8b, v18.8h
	WORD $0x4e214a72 // sqxtn2 v18.16b, v19.8h
	WORD $0x4e3d6652 // smax v18.16b, v18.16b, v29.16b
	WORD $0x4e3e6e52 // smin v18.16b, v18.16b, v30.16b
	ADD  R12, R0, R14
	VST1 [V16.B16], (R14)
	ADD  R9, R14, R14
	VST1 [V18.B16], (R14)

	ADD $16, R12, R12
	CMP R9, R12
	BLT np2Block

	ADD  R9<<1, R0, R0
	ADD  R10<<1, R1, R1
	SUBS $1, R8, R8
	BNE  np2Pixel

np2Done:
	RET
