//go:build arm64 && !purego

#include "textflag.h"
#include "neon_arm64.h"

// Both kernels walk one window for blocks of 16 channels: 0, 16, ..., and
// a last block moved back to end at channel C-16, so channels >= 16 is
// required and a tail recomputes a few channels. Pixels of a window row
// are channels bytes apart, rows rowStride bytes apart.
//
// Registers:
//   R0 dst   R1 src   R2 channels   R3 winH   R4 winW   R5 rowStride
//   R6 channel start   R7 channels-16   R8 row address   R9 rows left
//   R10 pixel address  R11 pixels left  R12 scratch

// POOL_ARGS loads the arguments both kernels share.
#define POOL_ARGS \
	MOVD dst_base+0(FP), R0; MOVD src_base+24(FP), R1; \
	MOVD channels+48(FP), R2; \
	MOVD winH+56(FP), R3; MOVD winW+64(FP), R4; MOVD rowStride+72(FP), R5

// WINDOW runs PIXEL on each pixel of the window, its 16 channels from R6
// loaded into V1, using labels row and pixel; an empty window skips to
// end.
#define WINDOW(row, pixel, end, PIXEL) \
	ADD  R6, R1, R8; \
	MOVD R3, R9; \
	CBZ  R9, end; \
	CBZ  R4, end; \
row: \
	MOVD R8, R10; \
	MOVD R4, R11; \
pixel: \
	VLD1.P (R10)(R2), [V1.B16]; \
	PIXEL; \
	SUBS $1, R11, R11; \
	BNE  pixel; \
	ADD  R5, R8, R8; \
	SUBS $1, R9, R9; \
	BNE  row

// STORE_BLOCK stores the block's 16 bytes from v, and loops to block
// while channels are left.
#define STORE_BLOCK(v, block) \
	ADD  R6, R0, R12; \
	VST1 [v.B16], (R12); \
	ADD  $16, R6, R6; \
	CMP  R2, R6; \
	BLT  block

// AVG_PIXEL adds the pixel in V1 to the int32 sums V24-V27 of avgpool_s8_c16_fp32_neon,
// through int16 in V2, V3.
#define AVG_PIXEL \
	SXTL_8H(2, 1); \
	SXTL2_8H(3, 1); \
	SADDW_X4(24, 2, 3)

// func maxpool_s8_c16_neon(dst, src []int8, channels, winH, winW, rowStride int)
//
// One output pixel of a max pool: dst[c] is the maximum over a winH x winW
// window of pixels (src at the top-left pixel), or -128 for an empty
// window.
//
// Registers: V0 running maximum   V1 pixel   V2 -128 x16
TEXT ·maxpool_s8_c16_neon(SB), NOSPLIT, $0-80
	POOL_ARGS
	VMOVI $0x80, V2.B16
	SUB  $16, R2, R7
	MOVD $0, R6

maxBlock:
	CMP  R7, R6
	CSEL GT, R7, R6, R6 // the tail block ends at the last channel
	VORR V2.B16, V2.B16, V0.B16
	WINDOW(maxRow, maxPixel, maxStore, SMAX_16B(0, 0, 1))

maxStore:
	STORE_BLOCK(V0, maxBlock)
	RET

// func avgpool_s8_c16_fp32_neon(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, zero, lo, hi int32)
//
// One output pixel of an average pool, over the same window walk as
// maxpool_s8_c16_neon: acc[c] = corr + sum of the window's values (corr
// is -count*zIn, the zero point of every value summed), then requantized
// as quant.Requantize (REQUANT_X4, with mult for every lane). Sums are
// int32 (SXTL then SADDW), so any window size is exact.
//
// Registers:
//   V1 pixel   V2-V3 int16 halves   V20 mult x4   V23 corr x4
//   V24-V27 int32 sums   V28 zero x4   V29 lo x16   V30 hi x16

TEXT ·avgpool_s8_c16_fp32_neon(SB), NOSPLIT, $0-100
	POOL_ARGS
	DUP_ARG(MOVW, corr+80(FP), R12, V23.S4)
	DUP_ARG(MOVWU, mult+84(FP), R12, V20.S4)
	LOAD_REQUANT(zero+88(FP), lo+92(FP), hi+96(FP), R12, V28, V29, V30)
	SUB  $16, R2, R7
	MOVD $0, R6

avgBlock:
	CMP  R7, R6
	CSEL GT, R7, R6, R6
	VORR V23.B16, V23.B16, V24.B16
	VORR V23.B16, V23.B16, V25.B16
	VORR V23.B16, V23.B16, V26.B16
	VORR V23.B16, V23.B16, V27.B16
	WINDOW(avgRow, avgPixel, avgStore, AVG_PIXEL)

avgStore:
	REQUANT_X4(24, 25, 26, 27, 20, 20, 20, 20, 28, 29, 30, 2, 3)
	STORE_BLOCK(V2, avgBlock)
	RET
