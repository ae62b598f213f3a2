//go:build amd64 && !purego

#include "textflag.h"

// The pooling kernels walk one window for blocks of 16 channels: 0, 16,
// ..., and a last block moved back to channels-16 (its overlap with the
// previous block is computed twice, with the same result; dst never
// overlaps src). Pixels of a window row are channels bytes apart, rows
// rowStride bytes apart.

// func maxpool_s8_c16_avx2(dst, src []int8, channels, winH, winW, rowStride int)
//
// Registers: X0 the running maximum (VPMAXSB), X15 -128 in every byte
// (the result of an empty window), CX the block's first channel, R9 the
// last block's, R10/BX the row/pixel cursors, R11/DX rows/pixels left.
TEXT ·maxpool_s8_c16_avx2(SB), NOSPLIT, $0-80
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         channels+48(FP), R8
	LEAQ         -16(R8), R9
	MOVL         $0x80808080, AX
	VMOVD        AX, X15
	VPBROADCASTD X15, X15
	XORQ         CX, CX

mblock:
	VMOVDQA X15, X0
	MOVQ    SI, R10
	MOVQ    winH+56(FP), R11
	TESTQ   R11, R11
	JEQ     mstore

mrow:
	MOVQ  R10, BX
	MOVQ  winW+64(FP), DX
	TESTQ DX, DX
	JEQ   mnextrow

mcol:
	VPMAXSB (BX)(CX*1), X0, X0
	ADDQ    R8, BX
	DECQ    DX
	JNE     mcol

mnextrow:
	ADDQ rowStride+72(FP), R10
	DECQ R11
	JNE  mrow

mstore:
	VMOVDQU X0, (DI)(CX*1)
	CMPQ    CX, R9
	JGE     mdone
	ADDQ    $16, CX
	CMPQ    CX, R9
	CMOVQGT R9, CX
	JMP     mblock

mdone:
	RET

// func avgpool_s8_c16_fp32_avx2(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq *requant)
//
// Registers: Y0, Y1 the int32 sums of channels 0-7 and 8-15 of the block
// (VPMOVSXBD, VPADDD), starting at corr = -count*zIn; Y2 scratch; Y12 the
// multiplier, Y13, Y14 FLo, FHi, Y15 the output zero point; others as in
// maxpool.
TEXT ·avgpool_s8_c16_fp32_avx2(SB), NOSPLIT, $0-96
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         channels+48(FP), R8
	LEAQ         -16(R8), R9
	MOVQ         rq+88(FP), AX
	VPBROADCASTD (AX), Y15
	VBROADCASTSS 12(AX), Y13
	VBROADCASTSS 16(AX), Y14
	VBROADCASTSS mult+84(FP), Y12
	MOVL         corr+80(FP), AX
	VMOVD        AX, X11
	VPBROADCASTD X11, Y11
	XORQ         CX, CX

ablock:
	VMOVDQA Y11, Y0
	VMOVDQA Y11, Y1
	MOVQ    SI, R10
	MOVQ    winH+56(FP), R11
	TESTQ   R11, R11
	JEQ     astore

arow:
	MOVQ  R10, BX
	MOVQ  winW+64(FP), DX
	TESTQ DX, DX
	JEQ   anextrow

acol:
	VPMOVSXBD (BX)(CX*1), Y2
	VPADDD    Y2, Y0, Y0
	VPMOVSXBD 8(BX)(CX*1), Y2
	VPADDD    Y2, Y1, Y1
	ADDQ      R8, BX
	DECQ      DX
	JNE       acol

anextrow:
	ADDQ rowStride+72(FP), R10
	DECQ R11
	JNE  arow

astore:
	VCVTDQ2PS    Y0, Y0
	VCVTDQ2PS    Y1, Y1
	VMULPS       Y12, Y0, Y0
	VMULPS       Y12, Y1, Y1
	VCMPPS       $3, Y0, Y0, Y2
	VANDNPS      Y0, Y2, Y0
	VCMPPS       $3, Y1, Y1, Y2
	VANDNPS      Y1, Y2, Y1
	VMAXPS       Y13, Y0, Y0
	VMAXPS       Y13, Y1, Y1
	VMINPS       Y14, Y0, Y0
	VMINPS       Y14, Y1, Y1
	VCVTPS2DQ    Y0, Y0
	VCVTPS2DQ    Y1, Y1
	VPADDD       Y15, Y0, Y0
	VPADDD       Y15, Y1, Y1
	VPACKSSDW    Y1, Y0, Y0       // words: c0-3, c8-11 | c4-7, c12-15
	VPERMQ       $0xD8, Y0, Y0    // c0-3, c4-7 | c8-11, c12-15
	VEXTRACTI128 $1, Y0, X1
	VPACKSSWB    X1, X0, X0
	VMOVDQU      X0, (DI)(CX*1)
	CMPQ         CX, R9
	JGE          adone
	ADDQ         $16, CX
	CMPQ         CX, R9
	CMOVQGT      R9, CX
	JMP          ablock

adone:
	VZEROUPPER
	RET
