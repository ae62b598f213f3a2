//go:build amd64 && !purego

#include "textflag.h"
#include "avx2_amd64.h"

// func gemm_s8_4x8c4_fp32_avx2(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, rq *requant)
//
// The indirect GEMM of gemmPortable: tiles of 4 rows (output pixels) x 8
// columns (output channels), input channels 4 at a time (c4).
//
// Per chunk of 4 input channels and row, VPBROADCASTD puts the row's 4
// bytes in every 32-bit lane of X10 and VPMOVSXBW widens them to the 16
// words x0 x1 x2 x3 x0 x1 ... of Y10. The packed weights (gemmPack) hold
// column c's 4 int16 weights at words 4c..4c+3, so VPMADDWD gives, exactly,
// lane 2c = x0*w0 + x1*w1 and lane 2c+1 = x2*w2 + x3*w3 of column c; the
// epilogue adds the pairs with VPHADDD.
//
// Registers:
//	Y0..Y7    accumulators: Y(2r) columns 0-3 and Y(2r+1) columns 4-7 of row r
//	Y8, Y9    weights of the chunk: columns 0-3, 4-7
//	Y10       the row's 4 input bytes, broadcast and widened to int16
//	Y11       products
//	Y12       scratch of the epilogue
//	Y13, Y14  FLo, FHi: the float32 clamp bounds (see requant)
//	Y15       the output zero point
//	R8..R11   the 4 rows of the current tap (src + ind, or the zero row)
//	R13       byte offset of the chunk in the rows
//	DI        packed weights; BX kcs + 4t; SI ind + 4*(m0*taps + t)
//	R12       taps left; CX channels of the tap; DX chunk count; AX scratch
//
// Locals:
//	0, 8, 16(SP)  byte offsets from row 0's ind entries to rows 1, 2, 3's
//	              (row min(r, mr-1): a partial block repeats its last row,
//	              computed but not stored, so ind is never read past mc)
//	24(SP) mr     32(SP) ind of the block  40(SP) dst of the block's tile
//	48(SP) columns left  56(SP) dst of the column tile's first row
//	64(SP) rows left  72(SP) 32 bytes: the 4 rows of 8 results of a
//	partial tile  104(SP) the column tile's packed weights
//
// Loops: column tiles outside, blocks of 4 rows inside; a block of one
// row (a batch-1 Linear, the end of a range) runs its own loop (onerow)
// with Y0, Y1 only.

// MADD multiplies the widened input in X10 by the chunk's weights into
// the accumulators of one row.
#define MADD(accA, accB) \
	VPMOVSXBW X10, Y10; \
	MADD2(Y8, Y9, Y10, Y11, Y11, accA, accB)

// TAPS starts a block's tap loop: BX walks kcs, SI the block's
// indirection, R12 counts the taps; with none, it goes to none.
#define TAPS(none) \
	MOVQ  kcs+16(FP), BX; \
	MOVQ  32(SP), SI; \
	MOVQ  taps+24(FP), R12; \
	TESTQ R12, R12; \
	JEQ   none

// CHUNKS reads the tap's channel count into CX, moves BX and SI on to the
// next tap's, zeroes the chunk offset R13 and sets DX to the chunks of 8
// channels; with none, it goes to none.
#define CHUNKS(none) \
	MOVLQSX (BX), CX; \
	ADDQ    $4, BX; \
	ADDQ    $4, SI; \
	XORQ    R13, R13; \
	MOVQ    CX, DX; \
	SHRQ    $3, DX; \
	JEQ     none

// WEIGHTS loads the chunk's weights at off(DI): columns 0-3, 4-7.
#define WEIGHTS(off) \
	VMOVDQU off(DI), Y8; \
	VMOVDQU off+32(DI), Y9

// TAIL loads a tail chunk's weights and goes to done when the tap has no
// tail, to one or two for 1 or 2 channels; 3 fall through.
#define TAIL(done, one, two) \
	ANDQ    $3, CX; \
	JEQ     done; \
	WEIGHTS(0); \
	ADDQ    $64, DI; \
	CMPQ    CX, $2; \
	JLT     one; \
	JEQ     two

// ROWS4 reads the chunk at off(R13) of the four rows.
#define ROWS4(off) \
	VPBROADCASTD off(R8)(R13*1), X10; \
	MADD(Y0, Y1); \
	VPBROADCASTD off(R9)(R13*1), X10; \
	MADD(Y2, Y3); \
	VPBROADCASTD off(R10)(R13*1), X10; \
	MADD(Y4, Y5); \
	VPBROADCASTD off(R11)(R13*1), X10; \
	MADD(Y6, Y7)

// TAILMADD multiplies a tail chunk assembled in AX.
#define TAILMADD(accA, accB) \
	VMOVD        AX, X10; \
	VPBROADCASTD X10, X10; \
	MADD(accA, accB)

#define LOAD1(row) MOVBLZX (row)(R13*1), AX
#define LOAD2(row) MOVWLZX (row)(R13*1), AX
#define LOAD3(row) \
	MOVWLZX (row)(R13*1), AX; \
	MOVBLZX 2(row)(R13*1), DX; \
	SHLL    $16, DX; \
	ORL     DX, AX

// ROWPTR sets row to src + ind[...] read at (SI)(off), or to the zero row.
#define ROWPTR(off, row) \
	MOVLQSX (SI)(off*1), AX; \
	MOVQ    src+32(FP), row; \
	ADDQ    AX, row; \
	TESTQ   AX, AX; \
	CMOVQLT zero+40(FP), row

// REQUANT turns a row's accumulators into 8 int32 results in accA: pairs
// added, bias, float32 multiply, NaN to 0, clamp to [FLo, FHi], round to
// nearest even, plus the zero point.
#define REQUANT(accA, accB) \
	VPHADDD   accB, accA, accA; \
	VPERMQ    $0xD8, accA, accA; \
	VPADDD    (DI), accA, accA; \
	VCVTDQ2PS accA, accA; \
	VMULPS    32(DI), accA, accA; \
	REQUANT8(accA, Y12, Y15)

TEXT ·gemm_s8_4x8c4_fp32_avx2(SB), NOSPLIT, $112-88
	LOADRQ(rq+80(FP), AX, Y15)
	MOVQ         nc+8(FP), AX
	MOVQ         AX, 48(SP)
	MOVQ         dst+64(FP), AX
	MOVQ         AX, 56(SP)
	MOVQ         w+56(FP), DI

	// Columns outside, rows inside: a tile's weights stay in L1 while
	// the rows pass (the driver hands over rows in cache-sized ranges).
coltile:
	MOVQ DI, 104(SP)
	MOVQ mc+0(FP), AX
	MOVQ AX, 64(SP)
	MOVQ ind+48(FP), AX
	MOVQ AX, 32(SP)
	MOVQ 56(SP), AX
	MOVQ AX, 40(SP)

block:
	MOVQ    64(SP), AX
	CMPQ    AX, $0
	JLE     nextcols
	MOVQ    $4, CX
	CMPQ    AX, CX
	CMOVQLT AX, CX
	MOVQ    CX, 24(SP)
	MOVQ    taps+24(FP), DX
	SHLQ    $2, DX          // bytes between rows of ind
	DECQ    CX              // mr-1
	MOVQ    $1, AX
	CMPQ    CX, AX
	CMOVQLT CX, AX
	IMULQ   DX, AX
	MOVQ    AX, 0(SP)
	MOVQ    $2, AX
	CMPQ    CX, AX
	CMOVQLT CX, AX
	IMULQ   DX, AX
	MOVQ    AX, 8(SP)
	MOVQ    $3, AX
	CMPQ    CX, AX
	CMOVQLT CX, AX
	IMULQ   DX, AX
	MOVQ    AX, 16(SP)
	MOVQ    104(SP), DI

	CMPQ 24(SP), $1
	JEQ  onerow

tile:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	VPXOR Y2, Y2, Y2
	VPXOR Y3, Y3, Y3
	VPXOR Y4, Y4, Y4
	VPXOR Y5, Y5, Y5
	VPXOR Y6, Y6, Y6
	VPXOR Y7, Y7, Y7
	TAPS(epilogue)

tap:
	MOVQ $0, DX
	ROWPTR(DX, R8)
	MOVQ 0(SP), DX
	ROWPTR(DX, R9)
	MOVQ 8(SP), DX
	ROWPTR(DX, R10)
	MOVQ 16(SP), DX
	ROWPTR(DX, R11)
	CHUNKS(k4)

k8:
	WEIGHTS(0)
	ROWS4(0)
	WEIGHTS(64)
	ROWS4(4)
	ADDQ    $128, DI
	ADDQ    $8, R13
	DECQ    DX
	JNE     k8

k4:
	TESTQ   $4, CX
	JEQ     ktail
	WEIGHTS(0)
	ROWS4(0)
	ADDQ    $64, DI
	ADDQ    $4, R13

ktail:
	TAIL(tapdone, tail1, tail2)
	LOAD3(R8)
	TAILMADD(Y0, Y1)
	LOAD3(R9)
	TAILMADD(Y2, Y3)
	LOAD3(R10)
	TAILMADD(Y4, Y5)
	LOAD3(R11)
	TAILMADD(Y6, Y7)
	JMP     tapdone

tail2:
	LOAD2(R8)
	TAILMADD(Y0, Y1)
	LOAD2(R9)
	TAILMADD(Y2, Y3)
	LOAD2(R10)
	TAILMADD(Y4, Y5)
	LOAD2(R11)
	TAILMADD(Y6, Y7)
	JMP tapdone

tail1:
	LOAD1(R8)
	TAILMADD(Y0, Y1)
	LOAD1(R9)
	TAILMADD(Y2, Y3)
	LOAD1(R10)
	TAILMADD(Y4, Y5)
	LOAD1(R11)
	TAILMADD(Y6, Y7)

tapdone:
	DECQ R12
	JNE  tap

epilogue:
	REQUANT(Y0, Y1)
	REQUANT(Y2, Y3)
	REQUANT(Y4, Y5)
	REQUANT(Y6, Y7)
	ADDQ       $64, DI            // past the tile's biases and multipliers
	VPACKSSDW  Y2, Y0, Y0         // words: r0 c0-3, r1 c0-3 | r0 c4-7, r1 c4-7
	VPACKSSDW  Y6, Y4, Y4
	VPACKSSWB  Y4, Y0, Y0         // bytes: r0..r3 c0-3 | r0..r3 c4-7
	VMOVDQU    ·gemmRowOrder(SB), Y12
	VPERMD     Y0, Y12, Y0        // bytes: r0 c0-7, r1 c0-7, r2 c0-7, r3 c0-7
	MOVQ       40(SP), R8
	MOVQ       dstStride+72(FP), DX
	CMPQ       24(SP), $4
	JNE        partial
	CMPQ       48(SP), $8
	JLT        partial
	VMOVQ      X0, (R8)
	VPEXTRQ    $1, X0, (R8)(DX*1)
	LEAQ       (R8)(DX*2), R8
	VEXTRACTI128 $1, Y0, X1
	VMOVQ      X1, (R8)
	VPEXTRQ    $1, X1, (R8)(DX*1)
	JMP        nexttile

partial:
	VMOVDQU Y0, 72(SP)
	MOVQ    48(SP), CX
	MOVQ    $8, AX
	CMPQ    CX, AX
	CMOVQGT AX, CX                // columns to store: min(8, columns left)
	MOVQ    24(SP), R9
	LEAQ    72(SP), R10

prow:
	MOVQ CX, BX
	MOVQ R8, R11
	MOVQ (R10), AX

pbyte:
	MOVB AL, (R11)
	SHRQ $8, AX
	INCQ R11
	DECQ BX
	JNE  pbyte
	ADDQ $8, R10
	ADDQ DX, R8
	DECQ R9
	JNE  prow

nexttile:
	SUBQ $4, 64(SP)
	MOVQ taps+24(FP), AX
	SHLQ $4, AX                   // 4 rows of taps int32 entries
	ADDQ AX, 32(SP)
	MOVQ dstStride+72(FP), AX
	SHLQ $2, AX
	ADDQ AX, 40(SP)
	JMP  block

nextcols:                             // DI is past the tile's weights
	ADDQ $8, 56(SP)
	SUBQ $8, 48(SP)
	CMPQ 48(SP), $0
	JGT  coltile

	JMP done

	// One row left (a batch-1 Linear, the end of a range): the same loop
	// for row 0 alone, rather than four rows that repeat it.
onerow:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	TAPS(oepilogue)

otap:
	MOVQ    $0, DX
	ROWPTR(DX, R8)
	CHUNKS(ok4)

ok8:
	VPBROADCASTD (R8)(R13*1), X10
	WEIGHTS(0)
	MADD(Y0, Y1)
	VPBROADCASTD 4(R8)(R13*1), X10
	WEIGHTS(64)
	MADD(Y0, Y1)
	ADDQ         $128, DI
	ADDQ         $8, R13
	DECQ         DX
	JNE          ok8

ok4:
	TESTQ        $4, CX
	JEQ          otail
	VPBROADCASTD (R8)(R13*1), X10
	WEIGHTS(0)
	MADD(Y0, Y1)
	ADDQ         $64, DI
	ADDQ         $4, R13

otail:
	TAIL(otapdone, otail1, otail2)
	LOAD3(R8)
	JMP     otailmadd

otail2:
	LOAD2(R8)
	JMP otailmadd

otail1:
	LOAD1(R8)

otailmadd:
	TAILMADD(Y0, Y1)

otapdone:
	DECQ R12
	JNE  otap

oepilogue:
	REQUANT(Y0, Y1)
	ADDQ         $64, DI
	VEXTRACTI128 $1, Y0, X1
	VPACKSSDW    X1, X0, X0
	VPACKSSWB    X0, X0, X0       // bytes 0-7: row 0, columns 0-7
	MOVQ         40(SP), R8
	MOVQ         dstStride+72(FP), DX
	CMPQ         48(SP), $8
	JLT          partial
	VMOVQ        X0, (R8)
	JMP          nexttile

done:
	VZEROUPPER
	RET

// gemmRowOrder is the VPERMD index that puts the 32-bit groups of two or
// four rows back in row order after VPACKSSDW and VPACKSSWB, which work
// within 128-bit lanes: here r0 c0-3, r0 c4-7, r1 c0-3, ...; in the 6x16
// kernel (which shares it) r0 c0-3, c4-7, c8-11, c12-15, then row 1.
DATA ·gemmRowOrder+0(SB)/4, $0
DATA ·gemmRowOrder+4(SB)/4, $4
DATA ·gemmRowOrder+8(SB)/4, $1
DATA ·gemmRowOrder+12(SB)/4, $5
DATA ·gemmRowOrder+16(SB)/4, $2
DATA ·gemmRowOrder+20(SB)/4, $6
DATA ·gemmRowOrder+24(SB)/4, $3
DATA ·gemmRowOrder+28(SB)/4, $7
GLOBL ·gemmRowOrder(SB), RODATA|NOPTR, $32
