//go:build amd64 && !purego

#include "textflag.h"
#include "avx2_amd64.h"

// func lut_s8_c32_avx2(dst, src []int8, table *[256]int8)
//
// A 256-entry lookup as 16 lookups of 16 entries with VPSHUFB, 32 values
// per step. u = q XOR 0x80 = q + 128 is the table index; row h of the
// table (bytes 16h..16h+15, VBROADCASTI128 into both lanes) holds the
// entries of u with high nibble h. Step h shuffles with t + 0x70
// (VPADDUSB, saturating) where t = u - 16h (VPSUBB, wrapping): bytes with
// high nibble h have t in [0, 16) and index their row with t; for every
// other byte t >= 16, the sum is >= 0x80 and VPSHUFB writes zero. The 16
// results are ORed.
//
// Registers: Y0 t, Y1 the result, Y2 shuffle indices, Y3 the table row,
// Y13 0x80, Y14 0x10, Y15 0x70 in every byte; CX steps left.

#define ROW(off) \
	VBROADCASTI128 off(DX), Y3; \
	VPADDUSB       Y15, Y0, Y2; \
	VPSHUFB        Y2, Y3, Y2; \
	VPOR           Y2, Y1, Y1; \
	VPSUBB         Y14, Y0, Y0

TEXT ·lut_s8_c32_avx2(SB), NOSPLIT, $0-56
	STEPS(5, ldone)
	MOVQ         dst_base+0(FP), DI
	MOVQ         src_base+24(FP), SI
	MOVQ         table+48(FP), DX
	SPLATL($0x80808080, X13, Y13)
	SPLATL($0x10101010, X14, Y14)
	SPLATL($0x70707070, X15, Y15)

lloop:
	VMOVDQU (SI), Y0
	VPXOR   Y13, Y0, Y0
	VPXOR   Y1, Y1, Y1
	ROW(0)
	ROW(16)
	ROW(32)
	ROW(48)
	ROW(64)
	ROW(80)
	ROW(96)
	ROW(112)
	ROW(128)
	ROW(144)
	ROW(160)
	ROW(176)
	ROW(192)
	ROW(208)
	ROW(224)
	ROW(240)
	VMOVDQU Y1, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	DECQ    CX
	JNE     lloop
	VZEROUPPER

ldone:
	RET
