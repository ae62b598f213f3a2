//go:build arm64 && !purego

#include "textflag.h"

// QUARTER4 lowers the indexes in V0-V3 by 64 and looks them up in the
// table quarter t0-t3, into V4-V7 where they are in range; QUARTER1 does
// the same for V0 alone, into V4.
#define QUARTER4(t0, t1, t2, t3) \
	VSUB V9.B16, V0.B16, V0.B16; \
	VSUB V9.B16, V1.B16, V1.B16; \
	VSUB V9.B16, V2.B16, V2.B16; \
	VSUB V9.B16, V3.B16, V3.B16; \
	VTBX V0.B16, [t0.B16, t1.B16, t2.B16, t3.B16], V4.B16; \
	VTBX V1.B16, [t0.B16, t1.B16, t2.B16, t3.B16], V5.B16; \
	VTBX V2.B16, [t0.B16, t1.B16, t2.B16, t3.B16], V6.B16; \
	VTBX V3.B16, [t0.B16, t1.B16, t2.B16, t3.B16], V7.B16

#define QUARTER1(t0, t1, t2, t3) \
	VSUB V9.B16, V0.B16, V0.B16; \
	VTBX V0.B16, [t0.B16, t1.B16, t2.B16, t3.B16], V4.B16

// func lut_s8_c64_neon(dst, src []int8, table *[256]int8)
//
// dst[i] = table[src[i]+128] for the first len(dst) rounded down to 16
// values; the caller finishes the tail. The 256-byte table sits in 16
// registers as four 64-byte TBL tables. The index is src XOR 0x80 (that is
// src+128 as an unsigned byte); TBL looks it up in the first quarter (0 for
// indexes past 63), then the index is lowered by 64 and TBX looks it up in
// the next quarter, keeping the previous result where the index is out of
// range (indexes already served wrapped round to 192 and up).
// 64 values per iteration, then 16 at a time.
//
// Registers:
//   R0 dst   R1 src   R2 table, then blocks of 64 left   R3 blocks of 16 left
//   V0-V3 indexes   V4-V7 results   V8 0x80 x16   V9 64 x16
//   V16-V19, V20-V23, V24-V27, V28-V31 the four table quarters
TEXT ·lut_s8_c64_neon(SB), NOSPLIT, $0-56
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R3
	MOVD src_base+24(FP), R1
	MOVD table+48(FP), R2
	VLD1.P 64(R2), [V16.B16, V17.B16, V18.B16, V19.B16]
	VLD1.P 64(R2), [V20.B16, V21.B16, V22.B16, V23.B16]
	VLD1.P 64(R2), [V24.B16, V25.B16, V26.B16, V27.B16]
	VLD1   (R2), [V28.B16, V29.B16, V30.B16, V31.B16]
	VMOVI  $0x80, V8.B16
	VMOVI  $64, V9.B16
	LSR    $6, R3, R2
	UBFX   $4, R3, $2, R3
	CBZ    R2, sixteen

sixtyfour:
	VLD1.P 64(R1), [V0.B16, V1.B16, V2.B16, V3.B16]
	VEOR   V8.B16, V0.B16, V0.B16
	VEOR   V8.B16, V1.B16, V1.B16
	VEOR   V8.B16, V2.B16, V2.B16
	VEOR   V8.B16, V3.B16, V3.B16
	VTBL   V0.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V4.B16
	VTBL   V1.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V5.B16
	VTBL   V2.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V6.B16
	VTBL   V3.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V7.B16
	QUARTER4(V20, V21, V22, V23)
	QUARTER4(V24, V25, V26, V27)
	QUARTER4(V28, V29, V30, V31)
	VST1.P [V4.B16, V5.B16, V6.B16, V7.B16], 64(R0)
	SUBS   $1, R2, R2
	BNE    sixtyfour

sixteen:
	CBZ R3, done

one:
	VLD1.P 16(R1), [V0.B16]
	VEOR   V8.B16, V0.B16, V0.B16
	VTBL   V0.B16, [V16.B16, V17.B16, V18.B16, V19.B16], V4.B16
	QUARTER1(V20, V21, V22, V23)
	QUARTER1(V24, V25, V26, V27)
	QUARTER1(V28, V29, V30, V31)
	VST1.P [V4.B16], 16(R0)
	SUBS   $1, R3, R3
	BNE    one

done:
	RET
