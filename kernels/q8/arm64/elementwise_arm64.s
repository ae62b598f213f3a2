//go:build arm64 && !purego

#include "textflag.h"

// func vadd_s8_c16_fp32_neon(dst, a, b []int8, zA, zB int32, mA, mB float32, zero, lo, hi int32)
//
// The residual add of q8.Add on the first len(dst) rounded down to 16
// values; the caller finishes the tail. Per value, in q8.Add's order and
// rounding: ta = float32(a-zA)*mA and tb = float32(b-zB)*mB (two FMULs),
// t = ta+tb (one FADD, never fused), then FCVTNS (ties to even), SQADD
// zero point, SQXTN to int16 then int8, SMAX lo, SMIN hi. Each value is
// read before it is written, so dst may be a or b.
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
	MOVW zA+72(FP), R4
	VDUP R4, V24.S4
	MOVW zB+76(FP), R4
	VDUP R4, V25.S4
	MOVWU mA+80(FP), R4
	VDUP R4, V26.S4
	MOVWU mB+84(FP), R4
	VDUP R4, V27.S4
	MOVW zero+88(FP), R4
	VDUP R4, V28.S4
	MOVW lo+92(FP), R4
	VDUP R4, V29.B16
	MOVW hi+96(FP), R4
	VDUP R4, V30.B16
	LSR  $4, R3, R3
	CBZ  R3, done

block:
	VLD1.P 16(R1), [V0.B16]
	VLD1.P 16(R2), [V1.B16]
	WORD $0x0f08a402 // sxtl v2.8h, v0.8b
	WORD $0x4f08a403 // sxtl2 v3.8h, v0.16b
	WORD $0x0f10a444 // sxtl v4.4s, v2.4h
	WORD $0x4f10a445 // sxtl2 v5.4s, v2.8h
	WORD $0x0f10a466 // sxtl v6.4s, v3.4h
	WORD $0x4f10a467 // sxtl2 v7.4s, v3.8h
	WORD $0x0f08a422 // sxtl v2.8h, v1.8b
	WORD $0x4f08a423 // sxtl2 v3.8h, v1.16b
	WORD $0x0f10a450 // sxtl v16.4s, v2.4h
	WORD $0x4f10a451 // sxtl2 v17.4s, v2.8h
	WORD $0x0f10a472 // sxtl v18.4s, v3.4h
	WORD $0x4f10a473 // sxtl2 v19.4s, v3.8h
	VSUB V24.S4, V4.S4, V4.S4
	VSUB V24.S4, V5.S4, V5.S4
	VSUB V24.S4, V6.S4, V6.S4
	VSUB V24.S4, V7.S4, V7.S4
	VSUB V25.S4, V16.S4, V16.S4
	VSUB V25.S4, V17.S4, V17.S4
	VSUB V25.S4, V18.S4, V18.S4
	VSUB V25.S4, V19.S4, V19.S4
	WORD $0x4e21d884 // scvtf v4.4s, v4.4s
	WORD $0x4e21d8a5 // scvtf v5.4s, v5.4s
	WORD $0x4e21d8c6 // scvtf v6.4s, v6.4s
	WORD $0x4e21d8e7 // scvtf v7.4s, v7.4s
	WORD $0x4e21da10 // scvtf v16.4s, v16.4s
	WORD $0x4e21da31 // scvtf v17.4s, v17.4s
	WORD $0x4e21da52 // scvtf v18.4s, v18.4s
	WORD $0x4e21da73 // scvtf v19.4s, v19.4s
	WORD $0x6e3adc84 // fmul v4.4s, v4.4s, v26.4s
	WORD $0x6e3adca5 // fmul v5.4s, v5.4s, v26.4s
	WORD $0x6e3adcc6 // fmul v6.4s, v6.4s, v26.4s
	WORD $0x6e3adce7 // fmul v7.4s, v7.4s, v26.4s
	WORD $0x6e3bde10 // fmul v16.4s, v16.4s, v27.4s
	WORD $0x6e3bde31 // fmul v17.4s, v17.4s, v27.4s
	WORD $0x6e3bde52 // fmul v18.4s, v18.4s, v27.4s
	WORD $0x6e3bde73 // fmul v19.4s, v19.4s, v27.4s
	WORD $0x4e30d484 // fadd v4.4s, v4.4s, v16.4s
	WORD $0x4e31d4a5 // fadd v5.4s, v5.4s, v17.4s
	WORD $0x4e32d4c6 // fadd v6.4s, v6.4s, v18.4s
	WORD $0x4e33d4e7 // fadd v7.4s, v7.4s, v19.4s
	WORD $0x4e21a884 // fcvtns v4.4s, v4.4s
	WORD $0x4e21a8a5 // fcvtns v5.4s, v5.4s
	WORD $0x4e21a8c6 // fcvtns v6.4s, v6.4s
	WORD $0x4e21a8e7 // fcvtns v7.4s, v7.4s
	WORD $0x4ebc0c84 // sqadd v4.4s, v4.4s, v28.4s
	WORD $0x4ebc0ca5 // sqadd v5.4s, v5.4s, v28.4s
	WORD $0x4ebc0cc6 // sqadd v6.4s, v6.4s, v28.4s
	WORD $0x4ebc0ce7 // sqadd v7.4s, v7.4s, v28.4s
	WORD $0x0e614882 // sqxtn v2.4h, v4.4s
	WORD $0x4e6148a2 // sqxtn2 v2.8h, v5.4s
	WORD $0x0e6148c3 // sqxtn v3.4h, v6.4s
	WORD $0x4e6148e3 // sqxtn2 v3.8h, v7.4s
	WORD $0x0e214842 // sqxtn v2.8b, v2.8h
	WORD $0x4e214862 // sqxtn2 v2.16b, v3.8h
	WORD $0x4e3d6442 // smax v2.16b, v2.16b, v29.16b
	WORD $0x4e3e6c42 // smin v2.16b, v2.16b, v30.16b
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
// quant.Requantize: SCVTF, FMUL, FCVTNS, SQADD, SQXTN, SQXTN, SMAX, SMIN.
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
	MOVW zX+88(FP), R9
	VDUP R9, V24.S4
	MOVW zS+92(FP), R9
	VDUP R9, V25.S4
	MOVWU mult+96(FP), R9
	VDUP R9, V26.S4
	MOVW zero+100(FP), R9
	VDUP R9, V28.S4
	MOVW lo+104(FP), R9
	VDUP R9, V29.B16
	MOVW hi+108(FP), R9
	VDUP R9, V30.B16
	LSR  $4, R4, R5
	CBZ  R5, mdone
	CBZ  R3, mdone

mblock:
	VLD1.P 16(R2), [V0.B16]
	WORD $0x0f08a402 // sxtl v2.8h, v0.8b
	WORD $0x4f08a403 // sxtl2 v3.8h, v0.16b
	WORD $0x0f10a450 // sxtl v16.4s, v2.4h
	WORD $0x4f10a451 // sxtl2 v17.4s, v2.8h
	WORD $0x0f10a472 // sxtl v18.4s, v3.4h
	WORD $0x4f10a473 // sxtl2 v19.4s, v3.8h
	VSUB V25.S4, V16.S4, V16.S4
	VSUB V25.S4, V17.S4, V17.S4
	VSUB V25.S4, V18.S4, V18.S4
	VSUB V25.S4, V19.S4, V19.S4
	MOVD R0, R7
	MOVD R1, R8
	MOVD R3, R6

mpixel:
	VLD1.P (R8)(R4), [V0.B16]
	WORD $0x0f08a402 // sxtl v2.8h, v0.8b
	WORD $0x4f08a403 // sxtl2 v3.8h, v0.16b
	WORD $0x0f10a444 // sxtl v4.4s, v2.4h
	WORD $0x4f10a445 // sxtl2 v5.4s, v2.8h
	WORD $0x0f10a466 // sxtl v6.4s, v3.4h
	WORD $0x4f10a467 // sxtl2 v7.4s, v3.8h
	VSUB V24.S4, V4.S4, V4.S4
	VSUB V24.S4, V5.S4, V5.S4
	VSUB V24.S4, V6.S4, V6.S4
	VSUB V24.S4, V7.S4, V7.S4
	WORD $0x4eb09c84 // mul v4.4s, v4.4s, v16.4s
	WORD $0x4eb19ca5 // mul v5.4s, v5.4s, v17.4s
	WORD $0x4eb29cc6 // mul v6.4s, v6.4s, v18.4s
	WORD $0x4eb39ce7 // mul v7.4s, v7.4s, v19.4s
	WORD $0x4e21d884 // scvtf v4.4s, v4.4s
	WORD $0x4e21d8a5 // scvtf v5.4s, v5.4s
	WORD $0x4e21d8c6 // scvtf v6.4s, v6.4s
	WORD $0x4e21d8e7 // scvtf v7.4s, v7.4s
	WORD $0x6e3adc84 // fmul v4.4s, v4.4s, v26.4s
	WORD $0x6e3adca5 // fmul v5.4s, v5.4s, v26.4s
	WORD $0x6e3adcc6 // fmul v6.4s, v6.4s, v26.4s
	WORD $0x6e3adce7 // fmul v7.4s, v7.4s, v26.4s
	WORD $0x4e21a884 // fcvtns v4.4s, v4.4s
	WORD $0x4e21a8a5 // fcvtns v5.4s, v5.4s
	WORD $0x4e21a8c6 // fcvtns v6.4s, v6.4s
	WORD $0x4e21a8e7 // fcvtns v7.4s, v7.4s
	WORD $0x4ebc0c84 // sqadd v4.4s, v4.4s, v28.4s
	WORD $0x4ebc0ca5 // sqadd v5.4s, v5.4s, v28.4s
	WORD $0x4ebc0cc6 // sqadd v6.4s, v6.4s, v28.4s
	WORD $0x4ebc0ce7 // sqadd v7.4s, v7.4s, v28.4s
	WORD $0x0e614882 // sqxtn v2.4h, v4.4s
	WORD $0x4e6148a2 // sqxtn2 v2.8h, v5.4s
	WORD $0x0e6148c3 // sqxtn v3.4h, v6.4s
	WORD $0x4e6148e3 // sqxtn2 v3.8h, v7.4s
	WORD $0x0e214842 // sqxtn v2.8b, v2.8h
	WORD $0x4e214862 // sqxtn2 v2.16b, v3.8h
	WORD $0x4e3d6442 // smax v2.16b, v2.16b, v29.16b
	WORD $0x4e3e6c42 // smin v2.16b, v2.16b, v30.16b
	VST1.P [V2.B16], (R7)(R4)
	SUBS $1, R6, R6
	BNE  mpixel

	ADD  $16, R0, R0
	ADD  $16, R1, R1
	SUBS $1, R5, R5
	BNE  mblock

mdone:
	RET
