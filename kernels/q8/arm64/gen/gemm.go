package main

import (
	"fmt"
	"strings"
)

// kernel describes one GEMM microkernel: an mr x nr output tile, K walked
// in chunks of 16 input channels per row.
type kernel struct {
	name string
	mr   int
	ind  []string // indirection pointer of each row (walked copies below)
	walk []string // per-tile walking copy of ind
	a    []string // input row pointer of each row for the current tap
	c    []string // output row pointer of each row
	avec []int    // vector register holding each row's 16 input bytes
}

// eachRow joins f(r) over the tile's rows with "; ", for a one-line macro.
func (k *kernel) eachRow(f func(r int) string) string {
	parts := make([]string, k.mr)
	for r := range parts {
		parts[r] = f(r)
	}
	return strings.Join(parts, "; ")
}

// rowMacros defines the per-row macros the frame in gemm_arm64.h calls.
func rowMacros(w *writer, k *kernel) {
	w.comment("The tile's rows, for the frame in gemm_arm64.h.")
	for _, m := range []struct{ head, row string }{
		{"ROWS_WALK", "MOVD %[1]s, %[2]s"},
		{"ROWS_TAP", "GEMM_TAP_ROW(%[2]s, %[3]s)"},
		{"ROWS_LOAD16", "VLD1.P 16(%[3]s), [V%[4]d.B16]"},
		{"ROWS_LOAD(size, lane)", "VLD1.P size(%[3]s), V%[4]d.lane"},
		{"ROWS_LOAD1", "VLD1 (%[3]s), V%[4]d.B[14]"},
	} {
		w.text("#define %s %s\n", m.head, k.eachRow(func(r int) string {
			return fmt.Sprintf(m.row, k.ind[r], k.walk[r], k.a[r], k.avec[r])
		}))
	}
}

// prologue writes the function header, the block start and the row
// aliasing, up to the tile loop.
func prologue(w *writer, k *kernel) {
	w.text("\n// func %s(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, clamp *gemmClamp)\n", k.name)
	w.text("TEXT ·%s(SB), NOSPLIT, %s\n", k.name, frame)
	w.line("GEMM_START")
	for r := 1; r < k.mr; r++ {
		w.line("GEMM_ALIAS_ROW(%d, %s, %s, %s, %s)", r+1, k.ind[r-1], k.ind[r], k.c[r-1], k.c[r])
	}
	w.label("tile")
	w.line("GEMM_ZERO_ACC")
	w.line("GEMM_TAPS")
}

// Frame shared by both kernels; the Go declarations in gemm_arm64.go match.
const frame = "$0-88"

// gemmHeader is gemm_arm64.h, the frame both kernels share.
func gemmHeader() string {
	var w writer
	w.text(generated)
	w.comment("The frame of the GEMM microkernels gemm_s8_2x8c16_fp32_neon and " +
		"gemm_s8_4x16c4_fp32_neondot: arguments, blocks of MR rows, the tap loop with its " +
		"exact-size channel tails, and the step to the next block. The including kernel " +
		"defines the macros for its rows (ROWS_WALK, ROWS_TAP, ROWS_LOAD16, " +
		"ROWS_LOAD(size, lane), ROWS_LOAD1) and MAC, its multiply of one 16-channel chunk; " +
		"the kernel files list the registers.")
	w.define("GEMM_START loads the arguments that hold for the whole call, then starts "+
		"a block of MR rows (label block): rows left, columns, weights, and the byte "+
		"strides of the indirection (R16) and output (R17) rows. mc, ind and dst stay in "+
		"the frame, which tracks the rows left.", "GEMM_START",
		"MOVD kcs+16(FP), R2", "MOVD taps+24(FP), R3", "MOVD src+32(FP), R4",
		"MOVD zero+40(FP), R5", "MOVD ind+48(FP), R6", "MOVD dst+64(FP), R8",
		"block:", "MOVD mc+0(FP), R0", "MOVD nc+8(FP), R1", "MOVD w+56(FP), R7",
		"MOVD dstStride+72(FP), R17", "LSL $2, R3, R16")
	w.define("GEMM_ALIAS_ROW sets a row's indirection i and output c one row past the "+
		"previous row's (ip, cp), or to the previous row's when fewer than rows rows are "+
		"left: rows past mc alias the last valid row, reading and writing the same bytes "+
		"with the same values, so no row needs a branch.", "GEMM_ALIAS_ROW(rows, ip, i, cp, c)",
		"ADD R16, ip, i", "ADD R17, cp, c", "CMP $rows, R0", "CSEL LT, ip, i, i", "CSEL LT, cp, c, c")
	var zero []string
	for v := 16; v < 32; v++ {
		zero = append(zero, fmt.Sprintf("VEOR V%d.B16, V%d.B16, V%d.B16", v, v, v))
	}
	w.define("GEMM_ZERO_ACC clears the accumulators V16-V31.", "GEMM_ZERO_ACC", zero...)
	gemmTaps(&w)
	w.define("GEMM_CLAMP broadcasts the output zero point to vz (int32 lanes) and the "+
		"clamp bounds to vlo, vhi (int8 lanes).", "GEMM_CLAMP(vz, vlo, vhi)",
		"MOVD clamp+80(FP), R0", "MOVW 0(R0), R19", "MOVW 4(R0), R20", "MOVW 8(R0), R21",
		"VDUP R19, vz.S4", "VDUP R20, vlo.B16", "VDUP R21, vhi.B16")
	w.define("GEMM_NEXT_TILE moves to the next tile of nr columns, if any are left.",
		"GEMM_NEXT_TILE(nr)", "SUBS $nr, R1, R1", "BNE tile", "B next")
	w.define("GEMM_NEXT ends a block of 1<<log2 rows: with rows left, it advances the "+
		"indirection and output by as many rows and starts the next block.", "GEMM_NEXT(log2)",
		"next:", "MOVD mc+0(FP), R0", "SUBS $(1<<log2), R0, R0", "BLE done",
		"MOVD R0, mc+0(FP)", "LSL $2, R3, R16", "ADD R16<<log2, R6, R6",
		"MOVD dst+64(FP), R8", "MOVD dstStride+72(FP), R17", "ADD R17<<log2, R8, R8",
		"MOVD R8, dst+64(FP)", "B block", "done:", "RET")
	return w.b.String()
}

// gemmTaps defines the tap loop of both kernels.
func gemmTaps(w *writer) {
	w.define("GEMM_TAP_ROW points a row's input a at src + its next offset, or at the "+
		"zero row where the offset is negative (padding).", "GEMM_TAP_ROW(walk, a)",
		"MOVW.P 4(walk), R0", "ADD R4, R0, a", "CMP $0, R0", "CSEL LT, R5, a, a")
	w.define("GEMM_TAPS accumulates one tile over all taps. R19 counts the taps, R20 "+
		"walks kcs, R17 counts a tap's channels. A tap's last kc%16 channels are loaded "+
		"with exact-size lane loads (8, 4, 2, 1 bytes into bytes 0-7, 8-11, 12-13, 14), "+
		"so nothing past the row is read; the packer puts the tail weights at those "+
		"positions and zeroes the rest, so stale register bytes multiply zero.", "GEMM_TAPS",
		"MOVD R3, R19", "MOVD R2, R20", "ROWS_WALK",
		"tap:", "ROWS_TAP", "MOVWU.P 4(R20), R17", "SUBS $16, R17, R17", "BLT tail",
		"chunk:", "ROWS_LOAD16", "MAC", "SUBS $16, R17, R17", "BGE chunk",
		"tail:", "ANDS $15, R17, R17", "BEQ nexttap",
		"GEMM_TAIL(3, 8, D[0], tail4)", "tail4:",
		"GEMM_TAIL(2, 4, S[2], tail2)", "tail2:",
		"GEMM_TAIL(1, 2, H[6], tail1)", "tail1:",
		"TBZ $0, R17, tailmac", "ROWS_LOAD1",
		"tailmac:", "MAC",
		"nexttap:", "SUBS $1, R19, R19", "BNE tap")
	w.define("GEMM_TAIL loads size channels into lane of each row when bit of the "+
		"channels left is set, else skips to next.", "GEMM_TAIL(bit, size, lane, next)",
		"TBZ $bit, R17, next", "ROWS_LOAD(size, lane)")
}
