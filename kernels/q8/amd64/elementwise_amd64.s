//go:build amd64 && !purego

#include "textflag.h"

// Both kernels work on 16 values per step, as two vectors of 8 int32 or
// float32 lanes (VPMOVSXBD), and end as the other kernels do: NaN to 0,
// clamp to [FLo, FHi] (Y13, Y14), VCVTPS2DQ (round to nearest even), plus
// the zero point (Y15), then VPACKSSDW, VPERMQ and VPACKSSWB back to 16
// bytes in order.

// REQPACK16 turns the float32 values of 16 channels in Y0 (0-7) and Y1
// (8-15) into 16 int8 results in X0, with Y2 as scratch.
#define REQPACK16 \
	VCMPPS       $3, Y0, Y0, Y2; \
	VANDNPS      Y0, Y2, Y0; \
	VCMPPS       $3, Y1, Y1, Y2; \
	VANDNPS      Y1, Y2, Y1; \
	VMAXPS       Y13, Y0, Y0; \
	VMAXPS       Y13, Y1, Y1; \
	VMINPS       Y14, Y0, Y0; \
	VMINPS       Y14, Y1, Y1; \
	VCVTPS2DQ    Y0, Y0; \
	VCVTPS2DQ    Y1, Y1; \
	VPADDD       Y15, Y0, Y0; \
	VPADDD       Y15, Y1, Y1; \
	VPACKSSDW    Y1, Y0, Y0; \
	VPERMQ       $0xD8, Y0, Y0; \
	VEXTRACTI128 $1, Y0, X1; \
	VPACKSSWB    X1, X0, X0

#define LOADRQ(rq) \
	MOVQ         rq, AX; \
	VPBROADCASTD (AX), Y15; \
	VBROADCASTSS 12(AX), Y13; \
	VBROADCASTSS 16(AX), Y14

// func vadd_s8_c16_fp32_avx2(dst, a, b []int8, zA, zB int32, mA, mB float32, rq *requant)
//
// Registers: Y0, Y1 a's 16 values, then the sums; Y2, Y3 b's; Y8, Y9 zA,
// zB; Y10, Y11 mA, mB; BX the offset, CX steps left. Each float32
// operation rounds on its own, in q8.Add's order: a-zA and b-zB are exact
// integers, VCVTDQ2PS is exact for them, then VMULPS, VMULPS, VADDPS.
TEXT ·vadd_s8_c16_fp32_avx2(SB), NOSPLIT, $0-96
	MOVQ         dst_len+8(FP), CX
	SHRQ         $4, CX
	JEQ          vdone
	MOVQ         dst_base+0(FP), DI
	MOVQ         a_base+24(FP), SI
	MOVQ         b_base+48(FP), DX
	MOVL         zA+72(FP), AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8
	MOVL         zB+76(FP), AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9
	VBROADCASTSS mA+80(FP), Y10
	VBROADCASTSS mB+84(FP), Y11
	LOADRQ(rq+88(FP))
	XORQ         BX, BX

vloop:
	VPMOVSXBD (SI)(BX*1), Y0
	VPMOVSXBD 8(SI)(BX*1), Y1
	VPMOVSXBD (DX)(BX*1), Y2
	VPMOVSXBD 8(DX)(BX*1), Y3
	VPSUBD    Y8, Y0, Y0
	VPSUBD    Y8, Y1, Y1
	VPSUBD    Y9, Y2, Y2
	VPSUBD    Y9, Y3, Y3
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VCVTDQ2PS Y2, Y2
	VCVTDQ2PS Y3, Y3
	VMULPS    Y10, Y0, Y0
	VMULPS    Y10, Y1, Y1
	VMULPS    Y11, Y2, Y2
	VMULPS    Y11, Y3, Y3
	VADDPS    Y2, Y0, Y0
	VADDPS    Y3, Y1, Y1
	REQPACK16
	VMOVDQU   X0, (DI)(BX*1)
	ADDQ      $16, BX
	DECQ      CX
	JNE       vloop
	VZEROUPPER

vdone:
	RET

// func vmulc_s8_c16_fp32_avx2(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq *requant)
//
// Per block of 16 channels (outer loop), Y6, Y7 hold s-zS of channels
// 0-7 and 8-15 masked to their low 16 bits (Y9 = 0x0000ffff); per pixel
// (inner loop), VPMADDWD of x-zX (int32 lanes in [-255, 255], low word the
// value) with them gives low*low + high*0: the exact product, in one
// instruction rather than VPMULLD's two. Y8 zX, Y10 zS, Y12 the
// multiplier; BX the block's first channel, CX blocks left, DX pixels
// left, R8 channels (the pixel stride).
TEXT ·vmulc_s8_c16_fp32_avx2(SB), NOSPLIT, $0-112
	MOVQ         channels+80(FP), R8
	MOVQ         R8, CX
	SHRQ         $4, CX
	JEQ          mdone
	CMPQ         pixels+72(FP), $0
	JLE          mdone
	MOVL         zX+88(FP), AX
	VMOVD        AX, X8
	VPBROADCASTD X8, Y8
	MOVL         zS+92(FP), AX
	VMOVD        AX, X10
	VPBROADCASTD X10, Y10
	MOVL         $0xffff, AX
	VMOVD        AX, X9
	VPBROADCASTD X9, Y9
	VBROADCASTSS mult+96(FP), Y12
	LOADRQ(rq+104(FP))
	XORQ         BX, BX

mblock:
	MOVQ      s_base+48(FP), AX
	VPMOVSXBD (AX)(BX*1), Y6
	VPMOVSXBD 8(AX)(BX*1), Y7
	VPSUBD    Y10, Y6, Y6
	VPSUBD    Y10, Y7, Y7
	VPAND     Y9, Y6, Y6
	VPAND     Y9, Y7, Y7
	MOVQ      x_base+24(FP), SI
	ADDQ      BX, SI
	MOVQ      dst_base+0(FP), DI
	ADDQ      BX, DI
	MOVQ      pixels+72(FP), DX

mpixel:
	VPMOVSXBD (SI), Y0
	VPMOVSXBD 8(SI), Y1
	VPSUBD    Y8, Y0, Y0
	VPSUBD    Y8, Y1, Y1
	VPMADDWD  Y6, Y0, Y0
	VPMADDWD  Y7, Y1, Y1
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VMULPS    Y12, Y0, Y0
	VMULPS    Y12, Y1, Y1
	REQPACK16
	VMOVDQU   X0, (DI)
	ADDQ      R8, SI
	ADDQ      R8, DI
	DECQ      DX
	JNE       mpixel
	ADDQ      $16, BX
	DECQ      CX
	JNE       mblock
	VZEROUPPER

mdone:
	RET
