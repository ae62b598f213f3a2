//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// WIDEN sign-extends the 16 int8 lanes of vector s to int32 in a to a+3,
// through int16 in V2, V3.
#define WIDEN(s, a) \
	SXTL_8H(2, s); \
	SXTL2_8H(3, s); \
	SXTL_4S(a, 2); \
	SXTL2_4S(a+1, 2); \
	SXTL_4S(a+2, 3); \
	SXTL2_4S(a+3, 3)

// SUB_ZERO subtracts the zero point z (int32 lanes) from a0-a3.
#define SUB_ZERO(z, a0, a1, a2, a3) \
	VSUB z.S4, a0.S4, a0.S4; \
	VSUB z.S4, a1.S4, a1.S4; \
	VSUB z.S4, a2.S4, a2.S4; \
	VSUB z.S4, a3.S4, a3.S4

// LOAD_INPUTS broadcasts, via general register r, the two inputs' zero
// points z0, z1 to V24, V25 and the float32 multiplier m to V26.
#define LOAD_INPUTS(z0, z1, m, r) \
	DUP_ARG(MOVW, z0, r, V24.S4); \
	DUP_ARG(MOVW, z1, r, V25.S4); \
	DUP_ARG(MOVWU, m, r, V26.S4)

// func vadd_s8_c16_fp32_neon(dst, a, b []int8, zA, zB int32, mA, mB float32, zero, lo, hi int32)
//
// The residual add of q8.Add on the first len(dst) rounded down to 16
// values; the caller finishes the tail. Per value, in q8.Add's order and
// rounding: ta = float32(a-zA)*mA and tb = float32(b-zB)*mB (two FMULs),
// t = ta+tb (one FADD, never fused), then as quant.Requantize: FCVTNS
// (ties to even), SQADD zero point (ROUND_X4), SQXTN to int16 then int8,
// SMAX lo, SMIN hi (NARROW_CLAMP). Each value is read before it is
// written, so dst may be a or b.
//
// Registers:
//   R0 dst   R1 a   R2 b   R3 blocks left   R4 scratch
//   V0 a x16   V1 b x16   V2-V3 int16 halves
//   V4-V7 a lanes (int32, then float)   V16-V19 b lanes
//   V24 zA x4   V25 zB x4   V26 mA x4   V27 mB x4   V28 zero x4   V29 lo x16   V30 hi x16
TEXT ·vadd_s8_c16_fp32_neon(SB), NOSPLIT, $0-100
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R3
	MOVD a_base+24(FP), R1
	MOVD b_base+48(FP), R2
	LOAD_INPUTS(zA+72(FP), zB+76(FP), mA+80(FP), R4)
	DUP_ARG(MOVWU, mB+84(FP), R4, V27.S4)
	LOAD_REQUANT(zero+88(FP), lo+92(FP), hi+96(FP), R4, V28, V29, V30)
	LSR  $4, R3, R3
	CBZ  R3, done

block:
	VLD1.P 16(R1), [V0.B16]
	VLD1.P 16(R2), [V1.B16]
	WIDEN(0, 4)
	WIDEN(1, 16)
	SUB_ZERO(V24, V4, V5, V6, V7)
	SUB_ZERO(V25, V16, V17, V18, V19)
	SCVTF_X4(4, 5, 6, 7)
	SCVTF_X4(16, 17, 18, 19)
	FMUL_X4(4, 5, 6, 7, 26, 26, 26, 26)
	FMUL_X4(16, 17, 18, 19, 27, 27, 27, 27)
	FADD_4S(4, 4, 16)
	FADD_4S(5, 5, 17)
	FADD_4S(6, 6, 18)
	FADD_4S(7, 7, 19)
	ROUND_X4(4, 5, 6, 7, 28)
	NARROW_CLAMP(4, 5, 6, 7, 2, 3, 2, 29, 30)
	VST1.P [V2.B16], 16(R0)
	SUBS $1, R3, R3
	BNE  block

done:
	RET

// func vmulc_s8_c16_fp32_neon(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, zero, lo, hi int32)
//
// Squeeze-and-excitation's rescale of q8.MulChannels for the channels
// [0, channels rounded down to 16) of pixels consecutive pixels of one
// image (stride channels); the caller finishes the other channels. For each
// block of 16 channels, s-zS is widened to int32 once, then for every pixel
// acc = (x-zX)*(s-zS) (MUL, int32 lanes) is requantized as
// quant.Requantize (REQUANT_X4 of neon_arm64.h).
// dst may be x.
//
// Registers:
//   R0 dst block   R1 x block   R2 s block   R3 pixels   R4 channels
//   R5 blocks left   R6 pixels left   R7 dst walk   R8 x walk   R9 scratch
//   V0 x x16   V2-V3 int16 halves   V4-V7 int32 lanes
//   V16-V19 s-zS   V24 zX x4   V25 zS x4   V26 mult x4   V28 zero x4   V29 lo x16   V30 hi x16
TEXT ·vmulc_s8_c16_fp32_neon(SB), NOSPLIT, $0-112
	MOVD dst_base+0(FP), R0
	MOVD x_base+24(FP), R1
	MOVD s_base+48(FP), R2
	MOVD pixels+72(FP), R3
	MOVD channels+80(FP), R4
	LOAD_INPUTS(zX+88(FP), zS+92(FP), mult+96(FP), R9)
	LOAD_REQUANT(zero+100(FP), lo+104(FP), hi+108(FP), R9, V28, V29, V30)
	LSR  $4, R4, R5
	CBZ  R5, mdone
	CBZ  R3, mdone

mblock:
	VLD1.P 16(R2), [V0.B16]
	WIDEN(0, 16)
	SUB_ZERO(V25, V16, V17, V18, V19)
	MOVD R0, R7
	MOVD R1, R8
	MOVD R3, R6

mpixel:
	VLD1.P (R8)(R4), [V0.B16]
	WIDEN(0, 4)
	SUB_ZERO(V24, V4, V5, V6, V7)
	MUL_4S(4, 4, 16)
	MUL_4S(5, 5, 17)
	MUL_4S(6, 6, 18)
	MUL_4S(7, 7, 19)
	REQUANT_X4(4, 5, 6, 7, 26, 26, 26, 26, 28, 29, 30, 2, 3)
	VST1.P [V2.B16], (R7)(R4)
	SUBS $1, R6, R6
	BNE  mpixel

	ADD  $16, R0, R0
	ADD  $16, R1, R1
	SUBS $1, R5, R5
	BNE  mblock

mdone:
	RET
