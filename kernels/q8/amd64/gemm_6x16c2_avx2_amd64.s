//go:build amd64 && !purego

#include "textflag.h"
#include "avx2_amd64.h"

// func gemm_s8_6x16c2_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant, kp, flags int)
//
// The indirect GEMM of gemmPortable6x16 in two phases.
//
// Gather: each of the mc rows is copied through the indirection buffer
// into a panel in this function's stack frame, tap after tap, widened to
// int16 by VPMOVSXBW (16 and 8 bytes at a time, then byte by byte: never
// past a tap's channels), kp values per row (an odd K ends with a zero).
// Rows past mc up to a whole tile are left as they are: computed, never
// stored.
//
// Multiply: tiles of 6 rows x 16 columns, columns outside (a tile's
// weights stay in L1 while the panel passes). Per pair of channels,
// VPBROADCASTD puts a row's two int16 inputs in every 32-bit lane, and
// VPMADDWD with the packed weights (gemmPack6x16: column c's pair at lane
// c) gives 8 columns' x[k]*w[k] + x[k+1]*w[k+1] exactly; VPADDD
// accumulates. No widening, no horizontal add: the products are ready.
//
// Registers of the multiply:
//	Y0..Y11   accumulators: Y(2r) columns 0-7 and Y(2r+1) columns 8-15 of row r
//	Y12, Y13  the pair's weights of columns 0-7, 8-15
//	Y14       a row's pair, broadcast; Y15 products
//	R8..R13   the tile's 6 panel rows; AX byte offset of the pair in them
//	R14       bytes per panel row (2*kp); CX pairs left; SI packed weights
//	DI        the column tile's packed weights; BX, DX scratch
// Epilogue: Y12 zero point, Y13 FLo, Y14 FHi, Y15 NaN mask, then the
// byte order table.
//
// Frame: the panel (gemmPanelBytes) at 0(SP), then locals:
//	PARTIAL(SP)     96 bytes: a partial tile's 6 rows of 16 results
//	COLSLEFT(SP)    columns left    COLDST(SP)    dst of the column tile
//	ROWSLEFT(SP)    rows left       BLOCKDST(SP)  dst of the row tile
//	BLOCKPANEL(SP)  panel row 0 of the row tile

// PARTIAL is gemmPanelBytes (gemm_6x16c2.go): the two must agree.
#define PANEL 0
#define PARTIAL 49152
#define COLSLEFT 49248
#define COLDST 49256
#define ROWSLEFT 49264
#define BLOCKDST 49272
#define BLOCKPANEL 49280

// PAIR multiplies one row's pair (at off(row)(AX)) into its accumulators.
#define PAIR(row, accA, accB) \
	VPBROADCASTD (row)(AX*1), Y14; \
	MADD2(Y12, Y13, Y14, Y15, Y14, accA, accB)

// ROWS6 multiplies the pair of all 6 rows of the tile.
#define ROWS6 \
	PAIR(R8, Y0, Y1); \
	PAIR(R9, Y2, Y3); \
	PAIR(R10, Y4, Y5); \
	PAIR(R11, Y6, Y7); \
	PAIR(R12, Y8, Y9); \
	PAIR(R13, Y10, Y11)

// REQUANT turns 8 accumulators (which started from the biases) into
// int32 results: float32 multiply (the multipliers at 64+off(SI)), clamp
// to [FLo, FHi], round to nearest even, plus the zero point. REQUANTNAN
// also turns NaN into 0 first: only a layer with an infinite or NaN
// multiplier (flags bit 0, set by gemmPack) needs it.
#define REQUANT(acc, off) \
	VCVTDQ2PS acc, acc; \
	VMULPS    64+off(SI), acc, acc; \
	CLAMP_ROUND(acc, Y12)

#define REQUANTNAN(acc, off) \
	VCVTDQ2PS acc, acc; \
	VMULPS    64+off(SI), acc, acc; \
	REQUANT8(acc, Y15, Y12)

TEXT ·gemm_s8_6x16c2_fp32_avx2(SB), 0, $49288-104
	// Gather the rows into the panel.
	MOVQ kp+88(FP), R14
	SHLQ $1, R14                  // bytes per panel row
	MOVQ mc+0(FP), R12
	MOVQ ind+48(FP), SI
	LEAQ PANEL(SP), DI

gatherrow:
	MOVQ kcs+16(FP), BX
	MOVQ taps+24(FP), R11
	MOVQ DI, R10

gathertap:
	MOVLQSX (SI), AX
	ADDQ    $4, SI
	MOVQ    src+32(FP), R8
	ADDQ    AX, R8
	TESTQ   AX, AX
	CMOVQLT zero+40(FP), R8
	MOVLQSX (BX), CX
	ADDQ    $4, BX

g16:
	CMPQ      CX, $16
	JLT       g8
	VPMOVSXBW (R8), Y0
	VMOVDQU   Y0, (R10)
	ADDQ      $16, R8
	ADDQ      $32, R10
	SUBQ      $16, CX
	JMP       g16

g8:
	CMPQ      CX, $8
	JLT       g1
	VPMOVSXBW (R8), X0
	VMOVDQU   X0, (R10)
	ADDQ      $8, R8
	ADDQ      $16, R10
	SUBQ      $8, CX

g1:
	TESTQ   CX, CX
	JEQ     gtapdone
	MOVBLSX (R8), AX
	MOVW    AX, (R10)
	INCQ    R8
	ADDQ    $2, R10
	DECQ    CX
	JMP     g1

gtapdone:
	DECQ R11
	JNE  gathertap
	LEAQ (DI)(R14*1), DI          // the next row
	CMPQ R10, DI
	JEQ  growdone
	MOVW $0, (R10)                // an odd K's last pair
growdone:
	DECQ R12
	JNE  gatherrow

	// Multiply, column tiles outside, row tiles inside.
	MOVQ nc+8(FP), AX
	MOVQ AX, COLSLEFT(SP)
	MOVQ dst+64(FP), AX
	MOVQ AX, COLDST(SP)
	MOVQ w+56(FP), DI

coltile:
	MOVQ mc+0(FP), AX
	MOVQ AX, ROWSLEFT(SP)
	LEAQ PANEL(SP), AX
	MOVQ AX, BLOCKPANEL(SP)
	MOVQ COLDST(SP), AX
	MOVQ AX, BLOCKDST(SP)

block:
	MOVQ  BLOCKPANEL(SP), R8
	CMPQ  ROWSLEFT(SP), $1
	JEQ   onerow
	LEAQ  (R8)(R14*1), R9
	LEAQ  (R9)(R14*1), R10
	LEAQ  (R10)(R14*1), R11
	LEAQ  (R11)(R14*1), R12
	LEAQ  (R12)(R14*1), R13
	LEAQ    (DI)(R14*8), BX       // the tile's biases: past 32*kp bytes of weights
	LEAQ    (BX)(R14*8), BX
	VMOVDQU (BX), Y0              // every row's accumulators start from them
	VMOVDQU 32(BX), Y1
	VMOVDQA Y0, Y2
	VMOVDQA Y1, Y3
	VMOVDQA Y0, Y4
	VMOVDQA Y1, Y5
	VMOVDQA Y0, Y6
	VMOVDQA Y1, Y7
	VMOVDQA Y0, Y8
	VMOVDQA Y1, Y9
	VMOVDQA Y0, Y10
	VMOVDQA Y1, Y11
	MOVQ  DI, SI
	XORQ  AX, AX
	MOVQ  R14, CX
	SHRQ  $2, CX                  // pairs: kp/2
	SHRQ  $1, CX                  // two pairs per pass
	JEQ   klast

kloop:
	VMOVDQU (SI), Y12
	VMOVDQU 32(SI), Y13
	ROWS6
	VMOVDQU 64(SI), Y12
	VMOVDQU 96(SI), Y13
	ADDQ    $4, AX
	ROWS6
	ADDQ    $128, SI
	ADDQ    $4, AX
	DECQ    CX
	JNE     kloop

klast:
	TESTQ   $4, R14               // an odd number of pairs: one more
	JEQ     kdone
	VMOVDQU (SI), Y12
	VMOVDQU 32(SI), Y13
	ROWS6
	ADDQ    $64, SI

kdone:

	// SI is at the tile's 16 biases, then its 16 multipliers.
	LOADRQ(rq+80(FP), DX, Y12)
	TESTQ        $1, flags+96(FP)
	JNE          nanrequant
	REQUANT(Y0, 0)
	REQUANT(Y1, 32)
	REQUANT(Y2, 0)
	REQUANT(Y3, 32)
	REQUANT(Y4, 0)
	REQUANT(Y5, 32)
	REQUANT(Y6, 0)
	REQUANT(Y7, 32)
	REQUANT(Y8, 0)
	REQUANT(Y9, 32)
	REQUANT(Y10, 0)
	REQUANT(Y11, 32)
	JMP          pack

nanrequant:
	REQUANTNAN(Y0, 0)
	REQUANTNAN(Y1, 32)
	REQUANTNAN(Y2, 0)
	REQUANTNAN(Y3, 32)
	REQUANTNAN(Y4, 0)
	REQUANTNAN(Y5, 32)
	REQUANTNAN(Y6, 0)
	REQUANTNAN(Y7, 32)
	REQUANTNAN(Y8, 0)
	REQUANTNAN(Y9, 32)
	REQUANTNAN(Y10, 0)
	REQUANTNAN(Y11, 32)

pack:
	VPACKSSDW Y1, Y0, Y0          // words of row 0: c0-3 c8-11 | c4-7 c12-15
	VPACKSSDW Y3, Y2, Y2
	VPACKSSDW Y5, Y4, Y4
	VPACKSSDW Y7, Y6, Y6
	VPACKSSDW Y9, Y8, Y8
	VPACKSSDW Y11, Y10, Y10
	VPACKSSWB Y2, Y0, Y0          // bytes: r0 c0-3 c8-11, r1 c0-3 c8-11 | r0 c4-7 c12-15, r1 ...
	VPACKSSWB Y6, Y4, Y4
	VPACKSSWB Y10, Y8, Y8
	VMOVDQU   ·gemmRowOrder(SB), Y15
	VPERMD    Y0, Y15, Y0         // row 0 c0-15 | row 1 c0-15
	VPERMD    Y4, Y15, Y4
	VPERMD    Y8, Y15, Y8

store:
	MOVQ      BLOCKDST(SP), BX
	MOVQ      dstStride+72(FP), DX
	CMPQ      ROWSLEFT(SP), $6
	JLT       partial
	CMPQ      COLSLEFT(SP), $16
	JLT       partial
	VMOVDQU      X0, (BX)
	VEXTRACTI128 $1, Y0, (BX)(DX*1)
	LEAQ         (BX)(DX*2), BX
	VMOVDQU      X4, (BX)
	VEXTRACTI128 $1, Y4, (BX)(DX*1)
	LEAQ         (BX)(DX*2), BX
	VMOVDQU      X8, (BX)
	VEXTRACTI128 $1, Y8, (BX)(DX*1)
	JMP          nextblock

partial:
	VMOVDQU Y0, PARTIAL(SP)
	VMOVDQU Y4, PARTIAL+32(SP)
	VMOVDQU Y8, PARTIAL+64(SP)
	MOVQ    COLSLEFT(SP), CX
	MOVQ    $16, AX
	CMPQ    CX, AX
	CMOVQGT AX, CX                // columns to store: min(16, columns left)
	MOVQ    ROWSLEFT(SP), R9
	MOVQ    $6, AX
	CMPQ    R9, AX
	CMOVQGT AX, R9                // rows to store: min(6, rows left)
	LEAQ    PARTIAL(SP), R10

prow:
	XORQ R11, R11

pbyte:
	MOVB (R10)(R11*1), AX
	MOVB AX, (BX)(R11*1)
	INCQ R11
	CMPQ R11, CX
	JLT  pbyte
	ADDQ $16, R10
	ADDQ DX, BX
	DECQ R9
	JNE  prow

nextblock:
	MOVQ dstStride+72(FP), AX
	IMULQ $6, AX
	ADDQ AX, BLOCKDST(SP)
	MOVQ R14, AX
	IMULQ $6, AX
	ADDQ AX, BLOCKPANEL(SP)
	SUBQ $6, ROWSLEFT(SP)
	CMPQ ROWSLEFT(SP), $0
	JGT  block

	LEAQ 128(SI), DI              // the next column tile's weights
	ADDQ $16, COLDST(SP)
	SUBQ $16, COLSLEFT(SP)
	CMPQ COLSLEFT(SP), $0
	JGT  coltile

	VZEROUPPER
	RET

	// One row left (a batch-1 Linear, the end of a range): the same
	// loop for row 0 alone, rather than six rows that repeat it.
onerow:
	LEAQ    (DI)(R14*8), BX
	LEAQ    (BX)(R14*8), BX
	VMOVDQU (BX), Y0
	VMOVDQU 32(BX), Y1
	MOVQ  DI, SI
	XORQ  AX, AX
	MOVQ  R14, CX
	SHRQ  $2, CX

okloop:
	VPBROADCASTD (R8)(AX*1), Y14
	MADD2((SI), 32(SI), Y14, Y15, Y14, Y0, Y1)
	ADDQ         $64, SI
	ADDQ         $4, AX
	DECQ         CX
	JNE          okloop

	LOADRQ(rq+80(FP), DX, Y12)
	TESTQ        $1, flags+96(FP)
	JNE          onenan
	REQUANT(Y0, 0)
	REQUANT(Y1, 32)
	JMP          onepack

onenan:
	REQUANTNAN(Y0, 0)
	REQUANTNAN(Y1, 32)

onepack:
	VPACKSSDW    Y1, Y0, Y0
	VPACKSSWB    Y0, Y0, Y0
	VMOVDQU      ·gemmRowOrder(SB), Y15
	VPERMD       Y0, Y15, Y0        // row 0 c0-15 in the low half
	JMP          store
