//go:build amd64 && !purego

#include "textflag.h"
#include "avx2_amd64.h"

// The pooling kernels walk one window for blocks of 16 channels: 0, 16,
// ..., and a last block moved back to channels-16 (its overlap with the
// previous block is computed twice, with the same result; dst never
// overlaps src). Pixels of a window row are channels bytes apart, rows
// rowStride bytes apart.
//
// Registers: CX the block's first channel, R9 the last block's, R10/BX
// the row/pixel cursors, R11/DX rows/pixels left.

// WINDOW runs PIXEL on each pixel of the window at SI (BX the pixel,
// CX the block's first channel), using labels row, col and nextrow; an
// empty window skips to end.
#define WINDOW(row, col, nextrow, end, PIXEL) \
	MOVQ  SI, R10; \
	MOVQ  winH+56(FP), R11; \
	TESTQ R11, R11; \
	JEQ   end; \
row: \
	MOVQ  R10, BX; \
	MOVQ  winW+64(FP), DX; \
	TESTQ DX, DX; \
	JEQ   nextrow; \
col: \
	PIXEL; \
	ADDQ  R8, BX; \
	DECQ  DX; \
	JNE   col; \
nextrow: \
	ADDQ rowStride+72(FP), R10; \
	DECQ R11; \
	JNE  row

// NEXT_BLOCK moves CX to the next block (the last one moved back to R9)
// and loops to block, or goes to done after the last.
#define NEXT_BLOCK(block, done) \
	CMPQ    CX, R9; \
	JGE     done; \
	ADDQ    $16, CX; \
	CMPQ    CX, R9; \
	CMOVQGT R9, CX; \
	JMP     block

// MAX_PIXEL takes the maximum of X0 and the pixel's 16 channels.
#define MAX_PIXEL VPMAXSB (BX)(CX*1), X0, X0

// AVG_PIXEL adds the pixel's 16 channels to the int32 sums Y0, Y1.
#define AVG_PIXEL \
	VPMOVSXBD (BX)(CX*1), Y2; \
	VPADDD    Y2, Y0, Y0; \
	VPMOVSXBD 8(BX)(CX*1), Y2; \
	VPADDD    Y2, Y1, Y1

// func maxpool_s8_c16_avx2(dst, src []int8, channels, winH, winW, rowStride int)
//
// Registers: X0 the running maximum (VPMAXSB), X15 -128 in every byte
// (the result of an empty window).
TEXT ·maxpool_s8_c16_avx2(SB), NOSPLIT, $0-80
	MOVQ dst_base+0(FP), DI
	MOVQ src_base+24(FP), SI
	MOVQ channels+48(FP), R8
	LEAQ -16(R8), R9
	SPLATL($0x80808080, X15, X15)
	XORQ CX, CX

mblock:
	VMOVDQA X15, X0
	WINDOW(mrow, mcol, mnextrow, mstore, MAX_PIXEL)

mstore:
	VMOVDQU X0, (DI)(CX*1)
	NEXT_BLOCK(mblock, mdone)

mdone:
	RET

// func avgpool_s8_c16_fp32_avx2(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq *requant)
//
// Registers: Y0, Y1 the int32 sums of channels 0-7 and 8-15 of the block
// (VPMOVSXBD, VPADDD), starting at corr = -count*zIn (Y11); Y2 scratch;
// Y12 the multiplier, Y13, Y14 FLo, FHi, Y15 the output zero point.
TEXT ·avgpool_s8_c16_fp32_avx2(SB), NOSPLIT, $0-96
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         channels+48(FP), R8
	LEAQ         -16(R8), R9
	LOADRQ(rq+88(FP), AX, Y15)
	VBROADCASTSS mult+84(FP), Y12
	SPLATL(corr+80(FP), X11, Y11)
	XORQ         CX, CX

ablock:
	VMOVDQA Y11, Y0
	VMOVDQA Y11, Y1
	WINDOW(arow, acol, anextrow, astore, AVG_PIXEL)

astore:
	VCVTDQ2PS Y0, Y0
	VCVTDQ2PS Y1, Y1
	VMULPS    Y12, Y0, Y0
	VMULPS    Y12, Y1, Y1
	REQPACK16
	VMOVDQU   X0, (DI)(CX*1)
	NEXT_BLOCK(ablock, adone)

adone:
	VZEROUPPER
	RET
