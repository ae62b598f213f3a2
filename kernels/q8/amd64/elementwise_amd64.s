//go:build amd64 && !purego

#include "textflag.h"
#include "avx2_amd64.h"

// Both kernels work on 16 values per step, as two vectors of 8 int32 or
// float32 lanes (VPMOVSXBD), and end in REQPACK16.

// WIDEN16 sign-extends the 8 bytes at lo to the int32 lanes of a, and the
// 8 at hi to those of b.
#define WIDEN16(lo, hi, a, b) \
	VPMOVSXBD lo, a; \
	VPMOVSXBD hi, b

// func vadd_s8_c16_fp32_avx2(dst, a, b []int8, zA, zB int32, mA, mB float32, rq *requant)
//
// Registers: Y0, Y1 a's 16 values, then the sums; Y2, Y3 b's; Y8, Y9 zA,
// zB; Y10, Y11 mA, mB; BX the offset, CX steps left. Each float32
// operation rounds on its own, in q8.Add's order: a-zA and b-zB are exact
// integers, VCVTDQ2PS is exact for them, then VMULPS, VMULPS, VADDPS.
TEXT ·vadd_s8_c16_fp32_avx2(SB), NOSPLIT, $0-96
	STEPS(4, vdone)
	MOVQ         dst_base+0(FP), DI
	MOVQ         a_base+24(FP), SI
	MOVQ         b_base+48(FP), DX
	SPLATL(zA+72(FP), X8, Y8)
	SPLATL(zB+76(FP), X9, Y9)
	VBROADCASTSS mA+80(FP), Y10
	VBROADCASTSS mB+84(FP), Y11
	LOADRQ(rq+88(FP), AX, Y15)
	XORQ         BX, BX

vloop:
	WIDEN16((SI)(BX*1), 8(SI)(BX*1), Y0, Y1)
	WIDEN16((DX)(BX*1), 8(DX)(BX*1), Y2, Y3)
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
	SPLATL(zX+88(FP), X8, Y8)
	SPLATL(zS+92(FP), X10, Y10)
	SPLATL($0xffff, X9, Y9)
	VBROADCASTSS mult+96(FP), Y12
	LOADRQ(rq+104(FP), AX, Y15)
	XORQ         BX, BX

mblock:
	MOVQ      s_base+48(FP), AX
	WIDEN16((AX)(BX*1), 8(AX)(BX*1), Y6, Y7)
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
	WIDEN16((SI), 8(SI), Y0, Y1)
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
