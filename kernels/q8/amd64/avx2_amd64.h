// Macros shared by the AVX2 kernels of kernels/q8/amd64: the loads of
// their arguments, the int16 multiply-accumulate and the requantization
// epilogue. Include it after textflag.h.
//
// Requantization, as quant.Requantize: float32(acc) * m (VCVTDQ2PS, then
// one VMULPS), NaN to 0 (VCMPPS unordered, VANDNPS), clamp to [FLo, FHi]
// (the float32 bounds of requant, always in Y13, Y14), VCVTPS2DQ (round
// to nearest even), + the output zero point (VPADDD), then saturating
// packs to int8. docs/kernels-amd64.md says why each step is exact.

// LOADRQ loads the requant at rq through general register p: the output
// zero point broadcast to z, FLo and FHi to Y13, Y14.
#define LOADRQ(rq, p, z) \
	MOVQ         rq, p; \
	VPBROADCASTD (p), z; \
	VBROADCASTSS 12(p), Y13; \
	VBROADCASTSS 16(p), Y14

// STEPS sets CX to len(dst) >> log2, the whole steps of a kernel over
// its first argument, and goes to none when there are none.
#define STEPS(log2, none) \
	MOVQ dst_len+8(FP), CX; \
	SHRQ $log2, CX; \
	JEQ  none

// SPLATL broadcasts the 32-bit src, through AX and x, to every lane of y.
#define SPLATL(src, x, y) \
	MOVL         src, AX; \
	VMOVD        AX, x; \
	VPBROADCASTD x, y

// MADD2 multiplies the int16 pairs of x by those of the weights wa and wb
// (VPMADDWD, exact) into ta and tb, and adds them to a0 and a1.
#define MADD2(wa, wb, x, ta, tb, a0, a1) \
	VPMADDWD wa, x, ta; \
	VPADDD   ta, a0, a0; \
	VPMADDWD wb, x, tb; \
	VPADDD   tb, a1, a1

// CLAMP_ROUND clamps the float32 lanes of r to [FLo, FHi], rounds them to
// int32 and adds the zero point z.
#define CLAMP_ROUND(r, z) \
	VMAXPS    Y13, r, r; \
	VMINPS    Y14, r, r; \
	VCVTPS2DQ r, r; \
	VPADDD    z, r, r

// REQUANT8 is CLAMP_ROUND after NaN lanes of r are set to 0 (t scratch).
#define REQUANT8(r, t, z) \
	VCMPPS  $3, r, r, t; \
	VANDNPS r, t, r; \
	CLAMP_ROUND(r, z)

// REQPACK16 requantizes the float32 values of 16 channels in Y0 (0-7) and
// Y1 (8-15), zero point in Y15, into 16 int8 results in X0, in order, with
// Y2 as scratch.
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
