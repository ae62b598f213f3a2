//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// MUL16 multiplies the 16 int8 lanes of x and w into 16 int16 lanes of
// p (lanes 0-7) and p+1 (lanes 8-15); MLA16 adds such products to them.
#define MUL16(p, x, w) \
	SMULL_8H(p, x, w); \
	SMULL2_8H(p+1, x, w)

#define MLA16(p, x, w) \
	SMLAL_8H(p, x, w); \
	SMLAL2_8H(p+1, x, w)

// MUL16_2PX and MLA16_2PX do the same for two pixels' inputs x, y with
// the same weights w, into p, p+1 and q, q+1.
#define MUL16_2PX(p, x, q, y, w) \
	MUL16(p, x, w); \
	MUL16(q, y, w)

#define MLA16_2PX(p, x, q, y, w) \
	MLA16(p, x, w); \
	MLA16(q, y, w)

// LOAD_W2 loads the weights of a pair of taps (V1, V3) and moves R15 to
// the next pair's.
#define LOAD_W2 \
	LDR_Q(1, 15); \
	LDR_Q_X(3, 15, 9); \
	ADD R9<<1, R15, R15

// LOAD_CHANNELS loads the addresses of the per-channel weights, biases
// and multipliers into R5, R6, R7.
#define LOAD_CHANNELS(w, bias, mult) \
	MOVD w, R5; \
	MOVD bias, R6; \
	MOVD mult, R7

// BLOCK_BIAS moves the block at R12 back to end at the last channel (R13
// is channels-16) and loads its biases into V24-V27.
#define BLOCK_BIAS \
	CMP  R13, R12; \
	CSEL GT, R13, R12, R12; \
	ADD  R12<<2, R6, R14; \
	VLD1 (R14), [V24.S4, V25.S4, V26.S4, V27.S4]

// NEXT_BLOCK moves R12 to the next 16 channels, and loops to block while
// there are any.
#define NEXT_BLOCK(block) \
	ADD $16, R12, R12; \
	CMP R9, R12; \
	BLT block

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
// quant.Requantize (REQUANT_X4 of neon_arm64.h).
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
	LOAD_CHANNELS(w_base+120(FP), bias_base+144(FP), mult_base+168(FP))
	MOVD width+192(FP), R8
	MOVD channels+200(FP), R9
	MOVD kh+208(FP), R10
	MOVD kw+216(FP), R11
	LOAD_REQUANT(zero+232(FP), lo+236(FP), hi+240(FP), R14, V28, V29, V30)
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
	BLOCK_BIAS
	ADD  R12, R5, R15
	MOVD $taps-200(SP), R19
	MOVD pairs+224(FP), R20
	CBZ  R20, singles

pair:
	// Register-offset loads, and one weight pointer update per pair rather
	// than two chained post-increments.
	LDP.P  16(R19), (R24, R14)
	LDR_Q_X(0, 24, 12)
	LDR_Q_X(2, 14, 12)
	LOAD_W2
	MUL16(16, 0, 1)
	MLA16(16, 2, 3)
	SADDW_X4(24, 16, 17)
	SUBS $1, R20, R20
	BNE  pair

singles:
	MOVD R25, R20
	CBZ  R20, requantize

tap:
	MOVD.P 8(R19), R24
	LDR_Q_X(0, 24, 12)
	LDR_Q(1, 15)
	ADD    R9, R15, R15
	MUL16(16, 0, 1)
	SADDW_X4(24, 16, 17)
	SUBS $1, R20, R20
	BNE  tap

requantize:
	ADD  R12<<2, R7, R14
	VLD1 (R14), [V20.S4, V21.S4, V22.S4, V23.S4]
	REQUANT_X4(24, 25, 26, 27, 20, 21, 22, 23, 28, 29, 30, 16, 17)
	ADD  R12, R0, R14
	VST1 [V16.B16], (R14)

	NEXT_BLOCK(block)

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
	LOAD_CHANNELS(w_base+72(FP), bias_base+96(FP), mult_base+120(FP))
	MOVD width+144(FP), R8
	LSR  $1, R8, R8
	MOVD channels+152(FP), R9
	MOVD stride+160(FP), R10
	LOAD_REQUANT(zero+168(FP), lo+172(FP), hi+176(FP), R14, V28, V29, V30)
	SUB  $16, R9, R13
	CBZ  R8, np2Done
	CBZ  R11, np2Done

np2Pixel:
	MOVD $0, R12

np2Block:
	BLOCK_BIAS
	VLD1 (R14), [V8.S4, V9.S4, V10.S4, V11.S4]
	ADD  R12, R5, R15
	ADD  R12, R1, R21
	ADD  R10, R21, R22
	MOVD R3, R19
	MOVD R11, R20

np2Pair:
	LDP.P  16(R19), (R24, R14)
	LDR_Q_X(0, 21, 24)
	LDR_Q_X(2, 21, 14)
	LDR_Q_X(4, 22, 24)
	LDR_Q_X(6, 22, 14)
	LOAD_W2
	MUL16_2PX(16, 0, 18, 4, 1)
	MLA16_2PX(16, 2, 18, 6, 3)
	SADDW_X4(24, 16, 17)
	SADDW_X4(8, 18, 19)
	SUBS $1, R20, R20
	BNE  np2Pair

	// Requantize both pixels.
	ADD  R12<<2, R7, R14
	VLD1 (R14), [V20.S4, V21.S4, V22.S4, V23.S4]
	REQUANT_X4(24, 25, 26, 27, 20, 21, 22, 23, 28, 29, 30, 16, 17)
	REQUANT_X4(8, 9, 10, 11, 20, 21, 22, 23, 28, 29, 30, 18, 19)
	ADD  R12, R0, R14
	VST1 [V16.B16], (R14)
	ADD  R9, R14, R14
	VST1 [V18.B16], (R14)

	NEXT_BLOCK(np2Block)

	ADD  R9<<1, R0, R0
	ADD  R10<<1, R1, R1
	SUBS $1, R8, R8
	BNE  np2Pixel

np2Done:
	RET
