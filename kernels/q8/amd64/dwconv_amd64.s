//go:build amd64 && !purego

#include "textflag.h"
#include "avx2_amd64.h"

// func dwconv_s8_kxk_c16_fp32_avx2(dst, src, zeroPad []int8, rowOffs, colOffs []int32, w []int16, bq []int32, width, channels, kh, kw int, rq *requant)
//
// One output row of a depthwise convolution, 16 channels per step (see
// dwconvPortable and dwPack). Per output pixel, a table of kh*kw tap
// pointers on the stack is built first (src + rowOffs[ky] + colOffs[kx],
// or zeroPad when either offset is negative), then each block of 16
// channels runs over the table: VPMOVSXBW widens the tap's 16 bytes to
// int16, VPMADDWD with the even-channel weight vector (odd words zero)
// gives one exact product per 32-bit lane for channels 0, 2, ..., 14, the
// odd vector for channels 1, 3, ..., 15. The epilogue requantizes both
// halves, packs them (even and odd channels come out interleaved in
// groups of 4) and puts the bytes back in channel order with VPSHUFB.
//
// Registers:
//	Y0, Y1    accumulators: even channels, odd channels
//	Y6, Y7    the same for a second block, when two are left (32
//	          channels per tap pass)
//	Y2, Y3    widened input, products; Y5 the second block's input
//	Y4        scratch of the epilogue
//	X12       the VPSHUFB order (dwperm)
//	Y13, Y14  FLo, FHi; Y15 the output zero point
//	CX        the block's first channel, SI the second block's;
//	DI        weights; R13 one block's weight bytes; BX biases and multipliers
//	R9        tap table cursor; R10 taps left; R11 the output pixel; R12 blocks left
//
// Locals: 0..511(SP) the tap table (64 pointers); 512 pixels left;
// 520 colOffs of the pixel; 528 dst of the pixel; 536 taps; 544 the
// last block's first channel (channels-16); 552 blocks per pixel.

// BLOCKOUT requantizes one block's accumulators with the biases and
// multipliers at BX and stores its 16 bytes at channel cb of the pixel.
#define BLOCKOUT(accE, accO, xE, xO, cb) \
	VPADDD       (BX), accE, accE; \
	VPADDD       32(BX), accO, accO; \
	VCVTDQ2PS    accE, accE; \
	VCVTDQ2PS    accO, accO; \
	VMULPS       64(BX), accE, accE; \
	VMULPS       96(BX), accO, accO; \
	REQUANT8(accE, Y4, Y15); \
	REQUANT8(accO, Y4, Y15); \
	VPACKSSDW    accO, accE, accE; \
	VEXTRACTI128 $1, accE, xO; \
	VPACKSSWB    xO, xE, xE; \
	VPSHUFB      X12, xE, xE; \
	VMOVDQU      xE, (R11)(cb*1)

// NEXT_TAP moves to the next tap's pointer and weights, and loops to
// loop while taps are left.
#define NEXT_TAP(loop) \
	ADDQ $8, R9; \
	ADDQ $64, DI; \
	DECQ R10; \
	JNE  loop

TEXT ·dwconv_s8_kxk_c16_fp32_avx2(SB), $560-208
	LOADRQ(rq+200(FP), AX, Y15)
	VMOVDQU      dwperm<>(SB), X12
	MOVQ         kh+184(FP), AX
	IMULQ        kw+192(FP), AX
	MOVQ         AX, 536(SP)
	MOVQ         channels+176(FP), AX
	LEAQ         -16(AX), DX
	MOVQ         DX, 544(SP)
	ADDQ         $15, AX
	SHRQ         $4, AX
	MOVQ         AX, 552(SP)
	MOVQ         width+168(FP), AX
	MOVQ         AX, 512(SP)
	MOVQ         colOffs_base+96(FP), AX
	MOVQ         AX, 520(SP)
	MOVQ         dst_base+0(FP), AX
	MOVQ         AX, 528(SP)
	CMPQ         512(SP), $0
	JLE          done

pixel:
	LEAQ 0(SP), DI
	MOVQ rowOffs_base+72(FP), R8
	MOVQ kh+184(FP), R9
	MOVQ src_base+24(FP), SI
	MOVQ zeroPad_base+48(FP), BX

tky:
	MOVLQSX (R8), AX
	MOVQ    520(SP), R10
	MOVQ    kw+192(FP), R11

tkx:
	MOVLQSX (R10), DX
	LEAQ    (SI)(AX*1), CX
	ADDQ    DX, CX
	ORQ     AX, DX          // negative when either offset is
	CMOVQLT BX, CX
	MOVQ    CX, (DI)
	ADDQ    $8, DI
	ADDQ    $4, R10
	DECQ    R11
	JNE     tkx
	ADDQ    $4, R8
	DECQ    R9
	JNE     tky

	XORQ CX, CX
	MOVQ w_base+120(FP), DI
	MOVQ bq_base+144(FP), BX
	MOVQ 552(SP), R12
	MOVQ 528(SP), R11

	MOVQ 536(SP), R13
	SHLQ $6, R13                  // bytes of one block's weights

block:
	CMPQ    R12, $2
	JLT     single
	LEAQ    16(CX), SI            // the second block: the next, or the last moved back
	CMPQ    SI, 544(SP)
	CMOVQGT 544(SP), SI
	VPXOR   Y0, Y0, Y0
	VPXOR   Y1, Y1, Y1
	VPXOR   Y6, Y6, Y6
	VPXOR   Y7, Y7, Y7
	LEAQ    0(SP), R9
	MOVQ    536(SP), R10

ptap:
	MOVQ      (R9), R8
	VPMOVSXBW (R8)(CX*1), Y2
	VPMOVSXBW (R8)(SI*1), Y5
	MADD2((DI), 32(DI), Y2, Y3, Y2, Y0, Y1)
	MADD2((DI)(R13*1), 32(DI)(R13*1), Y5, Y3, Y5, Y6, Y7)
	NEXT_TAP(ptap)

	ADDQ    R13, DI               // past the second block's weights
	BLOCKOUT(Y0, Y1, X0, X1, CX)
	ADDQ    $128, BX
	BLOCKOUT(Y6, Y7, X6, X7, SI)
	ADDQ    $128, BX
	LEAQ    16(SI), CX
	CMPQ    CX, 544(SP)
	CMOVQGT 544(SP), CX
	SUBQ    $2, R12
	JNE     block
	JMP     nextpixel

single:
	VPXOR Y0, Y0, Y0
	VPXOR Y1, Y1, Y1
	LEAQ  0(SP), R9
	MOVQ  536(SP), R10

tap:
	MOVQ      (R9), R8
	VPMOVSXBW (R8)(CX*1), Y2
	MADD2((DI), 32(DI), Y2, Y3, Y2, Y0, Y1)
	NEXT_TAP(tap)

	BLOCKOUT(Y0, Y1, X0, X1, CX)

nextpixel:
	MOVQ kw+192(FP), AX
	SHLQ $2, AX
	ADDQ AX, 520(SP)
	MOVQ channels+176(FP), AX
	ADDQ AX, 528(SP)
	DECQ 512(SP)
	JNE  pixel

done:
	VZEROUPPER
	RET

// dwperm puts channel i at byte i: after the packs, byte p holds channel
// 0 2 4 6 1 3 5 7 8 10 12 14 9 11 13 15 [p].
DATA dwperm<>+0(SB)/8, $0x0703060205010400
DATA dwperm<>+8(SB)/8, $0x0f0b0e0a0d090c08
GLOBL dwperm<>(SB), RODATA|NOPTR, $16
