// Command gen writes the int8 GEMM microkernels of kernels/q8/arm64 in Go
// assembly: the ARMv8.0 NEON kernel gemm_s8_2x8c16_fp32_neon and the
// ARMv8.2 dot-product kernel gemm_s8_4x16c4_fp32_neondot. Both share one
// frame, one indirection walk and one requantization epilogue; only the
// multiply-accumulate block and the tile shape differ, which is why they
// are generated rather than written twice.
//
// Instructions the Go assembler lacks are emitted as WORD with the GNU
// mnemonic in a comment; gen's test assembles those mnemonics with
// aarch64-linux-gnu-as and checks every encoding.
//
// Run from kernels/q8/arm64: go run ./gen (or go generate).
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

func main() {
	dir := flag.String("dir", ".", "directory to write the .s files into")
	flag.Parse()
	for name, text := range Files() {
		if err := os.WriteFile(filepath.Join(*dir, name), []byte(text), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

// Files returns every generated file by name.
func Files() map[string]string {
	return map[string]string{
		"gemm_2x8c16_neon_arm64.s":    neonKernel(),
		"gemm_4x16c4_neondot_arm64.s": dotKernel(),
	}
}

// writer accumulates one assembly file.
type writer struct{ b strings.Builder }

func (w *writer) line(format string, args ...any) { fmt.Fprintf(&w.b, "\t"+format+"\n", args...) }
func (w *writer) label(l string)                  { fmt.Fprintf(&w.b, "%s:\n", l) }
func (w *writer) comment(text string)             { fmt.Fprintf(&w.b, "\t// %s\n", text) }
func (w *writer) word(enc uint32, gnu string)     { w.line("WORD $0x%08x // %s", enc, gnu) }

// Encoders of the AdvSIMD instructions the Go assembler does not know.
// Register numbers are 0-31; the comment is the GNU syntax.

func rdn(base uint32, d, n int) uint32 { return base | uint32(n)<<5 | uint32(d) }
func rdnm(base uint32, d, n, m int) uint32 {
	return base | uint32(m)<<16 | uint32(n)<<5 | uint32(d)
}

func (w *writer) smull(d, n, m int) {
	w.word(rdnm(0x0e20c000, d, n, m), fmt.Sprintf("smull v%d.8h, v%d.8b, v%d.8b", d, n, m))
}

func (w *writer) smlal2(d, n, m int) {
	w.word(rdnm(0x4e208000, d, n, m), fmt.Sprintf("smlal2 v%d.8h, v%d.16b, v%d.16b", d, n, m))
}

func (w *writer) sadalp(d, n int) {
	w.word(rdn(0x4e606800, d, n), fmt.Sprintf("sadalp v%d.4s, v%d.8h", d, n))
}

// sdot is the by-element form: each 32-bit lane j of vd accumulates the dot
// product of bytes 4j..4j+3 of vn with bytes 4*lane..4*lane+3 of vm.
func (w *writer) sdot(d, n, m, lane int) {
	enc := 0x4f80e000 | uint32(lane&1)<<21 | uint32(m>>4)<<20 | uint32(m&15)<<16 | uint32(lane>>1)<<11 | uint32(n)<<5 | uint32(d)
	w.word(enc, fmt.Sprintf("sdot v%d.4s, v%d.16b, v%d.4b[%d]", d, n, m, lane))
}

func (w *writer) addp(d, n, m int) {
	w.word(rdnm(0x4ea0bc00, d, n, m), fmt.Sprintf("addp v%d.4s, v%d.4s, v%d.4s", d, n, m))
}

func (w *writer) add(d, n, m int) {
	w.word(rdnm(0x4ea08400, d, n, m), fmt.Sprintf("add v%d.4s, v%d.4s, v%d.4s", d, n, m))
}

func (w *writer) scvtf(d, n int) {
	w.word(rdn(0x4e21d800, d, n), fmt.Sprintf("scvtf v%d.4s, v%d.4s", d, n))
}

func (w *writer) fmul(d, n, m int) {
	w.word(rdnm(0x6e20dc00, d, n, m), fmt.Sprintf("fmul v%d.4s, v%d.4s, v%d.4s", d, n, m))
}

func (w *writer) fcvtns(d, n int) {
	w.word(rdn(0x4e21a800, d, n), fmt.Sprintf("fcvtns v%d.4s, v%d.4s", d, n))
}

func (w *writer) sqadd(d, n, m int) {
	w.word(rdnm(0x4ea00c00, d, n, m), fmt.Sprintf("sqadd v%d.4s, v%d.4s, v%d.4s", d, n, m))
}

// sqxtn16 narrows 4 int32 lanes to int16, into the low half of vd
// (upper=false) or its high half (sqxtn2).
func (w *writer) sqxtn16(d, n int, upper bool) {
	if upper {
		w.word(rdn(0x4e614800, d, n), fmt.Sprintf("sqxtn2 v%d.8h, v%d.4s", d, n))
		return
	}
	w.word(rdn(0x0e614800, d, n), fmt.Sprintf("sqxtn v%d.4h, v%d.4s", d, n))
}

// sqxtn8 narrows 8 int16 lanes to int8, into the low or high half of vd.
func (w *writer) sqxtn8(d, n int, upper bool) {
	if upper {
		w.word(rdn(0x4e214800, d, n), fmt.Sprintf("sqxtn2 v%d.16b, v%d.8h", d, n))
		return
	}
	w.word(rdn(0x0e214800, d, n), fmt.Sprintf("sqxtn v%d.8b, v%d.8h", d, n))
}

func (w *writer) smax(d, n, m int) {
	w.word(rdnm(0x4e206400, d, n, m), fmt.Sprintf("smax v%d.16b, v%d.16b, v%d.16b", d, n, m))
}

func (w *writer) smin(d, n, m int) {
	w.word(rdnm(0x4e206c00, d, n, m), fmt.Sprintf("smin v%d.16b, v%d.16b, v%d.16b", d, n, m))
}

// ushr2d shifts both 64-bit lanes right by sh bits (1..64).
func (w *writer) ushr2d(d, n, sh int) {
	w.word(rdn(0x6f000400|uint32(128-sh)<<16, d, n), fmt.Sprintf("ushr v%d.2d, v%d.2d, #%d", d, n, sh))
}

// ext16 rotates the bytes of vn right by imm: vd = bytes imm..15, 0..imm-1.
func (w *writer) ext16(d, n, imm int) {
	w.word(rdnm(0x6e000000|uint32(imm)<<11, d, n, n), fmt.Sprintf("ext v%d.16b, v%d.16b, v%d.16b, #%d", d, n, n, imm))
}

// kernel describes one GEMM microkernel: an mr x nr output tile, K walked
// in chunks of 16 input channels per row.
type kernel struct {
	name   string
	mr, nr int
	ind    []string // indirection pointer of each row (walked copies below)
	walk   []string // per-tile walking copy of ind
	a      []string // input row pointer of each row for the current tap
	c      []string // output row pointer of each row
	avec   []int    // vector register holding each row's 16 input bytes
	block  func(w *writer)
}

// Frame shared by both kernels; the Go declarations in gemm_arm64.go match.
const frame = "$0-88"

func header(w *writer, k *kernel, doc string) {
	fmt.Fprintf(&w.b, "// Code generated by kernels/q8/arm64/gen; DO NOT EDIT.\n\n")
	fmt.Fprintf(&w.b, "//go:build arm64 && !purego\n\n#include \"textflag.h\"\n\n")
	w.b.WriteString(doc)
	fmt.Fprintf(&w.b, "\n// func %s(mc, nc int, kcs *int32, taps int, src, zero unsafe.Pointer, ind *int32, w, dst unsafe.Pointer, dstStride int, clamp *gemmClamp)\n", k.name)
	fmt.Fprintf(&w.b, "TEXT ·%s(SB), NOSPLIT, %s\n", k.name, frame)
	w.line("MOVD kcs+16(FP), R2")
	w.line("MOVD taps+24(FP), R3")
	w.line("MOVD src+32(FP), R4")
	w.line("MOVD zero+40(FP), R5")
	w.line("MOVD ind+48(FP), %s", k.ind[0])
	w.line("MOVD dst+64(FP), %s", k.c[0])
	w.comment("Each block is mr rows; mc, ind and dst in the frame track the rows left.")
	w.label("block")
	w.line("MOVD mc+0(FP), R0")
	w.line("MOVD nc+8(FP), R1")
	w.line("MOVD w+56(FP), R7")
	w.line("MOVD dstStride+72(FP), R17")
	w.line("LSL $2, R3, R16")
	w.comment("Rows past mc alias the last valid row: they read and write the same")
	w.comment("bytes with the same values, so no row needs a branch of its own.")
	for r := 1; r < k.mr; r++ {
		w.line("ADD R16, %s, %s", k.ind[r-1], k.ind[r])
		w.line("ADD R17, %s, %s", k.c[r-1], k.c[r])
		w.line("CMP $%d, R0", r+1)
		w.line("CSEL LT, %s, %s, %s", k.ind[r-1], k.ind[r], k.ind[r])
		w.line("CSEL LT, %s, %s, %s", k.c[r-1], k.c[r], k.c[r])
	}
}

// nextBlock emits the end of a block of mr rows: with rows left, advance
// the indirection and output by mr rows and start the next block.
func nextBlock(w *writer, k *kernel) {
	log2 := map[int]int{2: 1, 4: 2}[k.mr]
	w.label("next")
	w.line("MOVD mc+0(FP), R0")
	w.line("SUBS $%d, R0, R0", k.mr)
	w.line("BLE done")
	w.line("MOVD R0, mc+0(FP)")
	w.line("LSL $2, R3, R16")
	w.line("ADD R16<<%d, %s, %s", log2, k.ind[0], k.ind[0])
	w.line("MOVD dst+64(FP), %s", k.c[0])
	w.line("MOVD dstStride+72(FP), R17")
	w.line("ADD R17<<%d, %s, %s", log2, k.c[0], k.c[0])
	w.line("MOVD %s, dst+64(FP)", k.c[0])
	w.line("B block")
	w.label("done")
	w.line("RET")
}

// kLoop emits the tap loop: for every tap, each row's input pointer is
// src + offset, or the zero row where the offset is negative (padding);
// then kc channels are consumed 16 at a time, and a last partial chunk of
// r = kc%16 channels is loaded with exact-size lane loads (8, 4, 2, 1
// bytes into bytes 0-7, 8-11, 12-13, 14) so nothing past the row is read.
// The packer places tail weights at those same byte positions and zeroes
// the rest, so stale register bytes multiply zero.
func kLoop(w *writer, k *kernel) {
	w.line("MOVD R3, R19")
	w.line("MOVD R2, R20")
	for r := range k.mr {
		w.line("MOVD %s, %s", k.ind[r], k.walk[r])
	}
	w.label("tap")
	for r := range k.mr {
		w.line("MOVW.P 4(%s), R0", k.walk[r])
		w.line("ADD R4, R0, %s", k.a[r])
		w.line("CMP $0, R0")
		w.line("CSEL LT, R5, %s, %s", k.a[r], k.a[r])
	}
	w.line("MOVWU.P 4(R20), R17")
	w.line("SUBS $16, R17, R17")
	w.line("BLT tail")
	w.label("chunk")
	for r := range k.mr {
		w.line("VLD1.P 16(%s), [V%d.B16]", k.a[r], k.avec[r])
	}
	k.block(w)
	w.line("SUBS $16, R17, R17")
	w.line("BGE chunk")
	w.label("tail")
	w.line("ANDS $15, R17, R17")
	w.line("BEQ nexttap")
	w.line("TBZ $3, R17, tail4")
	for r := range k.mr {
		w.line("VLD1.P 8(%s), V%d.D[0]", k.a[r], k.avec[r])
	}
	w.label("tail4")
	w.line("TBZ $2, R17, tail2")
	for r := range k.mr {
		w.line("VLD1.P 4(%s), V%d.S[2]", k.a[r], k.avec[r])
	}
	w.label("tail2")
	w.line("TBZ $1, R17, tail1")
	for r := range k.mr {
		w.line("VLD1.P 2(%s), V%d.H[6]", k.a[r], k.avec[r])
	}
	w.label("tail1")
	w.line("TBZ $0, R17, tailmac")
	for r := range k.mr {
		w.line("VLD1 (%s), V%d.B[14]", k.a[r], k.avec[r])
	}
	w.label("tailmac")
	k.block(w)
	w.label("nexttap")
	w.line("SUBS $1, R19, R19")
	w.line("BNE tap")
}

// loadClamp broadcasts the output zero point to vz (int32 lanes) and the
// clamp bounds to vlo, vhi (int8 lanes).
func loadClamp(w *writer, vz, vlo, vhi int) {
	w.line("MOVD clamp+80(FP), R0")
	w.line("MOVW 0(R0), R19")
	w.line("MOVW 4(R0), R20")
	w.line("MOVW 8(R0), R21")
	w.line("VDUP R19, V%d.S4", vz)
	w.line("VDUP R20, V%d.B16", vlo)
	w.line("VDUP R21, V%d.B16", vhi)
}

// requant turns 4 int32 accumulators (bias added) into rounded int32s
// exactly as quant.Requantize: float32 conversion, one float32 multiply
// (not fused), round to nearest with ties to even, saturating add of the
// zero point. Narrowing and clamping follow per row.
func requant(w *writer, acc, bias, mult, vz int) {
	w.add(acc, acc, bias)
	w.scvtf(acc, acc)
	w.fmul(acc, acc, mult)
	w.fcvtns(acc, acc)
	w.sqadd(acc, acc, vz)
}

const neonDoc = `// gemm_s8_2x8c16_fp32_neon: ARMv8.0 NEON, 2 rows x 8 output channels,
// K in chunks of 16 (c16), fp32 requantization.
//
// Per 16-channel chunk and column c, SMULL multiplies bytes 0-7 of a row
// with bytes 0-7 of the column's weights into int16, SMLAL2 adds bytes
// 8-15: each int16 lane holds two products, |x*w| <= 128*127, so the sum
// fits (weights avoid -128). SADALP then adds adjacent int16 pairs into the
// int32 accumulator of (row, column). Each accumulator holds 4 partial
// sums that the epilogue reduces with ADDP.
//
// Registers:
//   R0 rows left, scratch    R1 nc (columns left)     R2 kcs (channels per tap)
//   R3 taps                  R4 src                   R5 zero row
//   R6, R12 ind (row 0, 1)   R7 packed weights        R8, R9 dst (row 0, 1)
//   R19 taps left            R20 kcs walk             R21, R22 ind walks
//   R25, R26 input rows      R17 channels left in the tap
//   R19-R21  in the epilogue: output zero point, lo, hi
//   V0, V1   16 input bytes of row 0, 1
//   V2-V5    weights of 4 columns (16 bytes each)
//   V6-V13   int16 products, one per (row, column) in flight
//   V16-V23  row 0 accumulators, columns 0-7; V24-V31 row 1
//   epilogue: V2-V5 biases and multipliers, V6 zero point, V7-V8 lo, hi,
//   V9-V11 narrowing
//
// Packed weights per 8-column tile: for each tap and chunk, 8 x 16 bytes
// (column-major), then 8 int32 biases and 8 float32 multipliers.
`

func neonKernel() string {
	var w writer
	k := &kernel{
		name: "gemm_s8_2x8c16_fp32_neon", mr: 2, nr: 8,
		ind: []string{"R6", "R12"}, walk: []string{"R21", "R22"},
		a: []string{"R25", "R26"}, c: []string{"R8", "R9"}, avec: []int{0, 1},
	}
	acc := func(r, c int) int { return 16 + 8*r + c }
	prod := func(r, c int) int { return 6 + 2*(c%4) + r }
	k.block = func(w *writer) {
		for half := range 2 {
			w.line("VLD1.P 64(R7), [V2.B16, V3.B16, V4.B16, V5.B16]")
			for c := range 4 {
				for r := range 2 {
					w.smull(prod(r, c), k.avec[r], 2+c)
				}
			}
			for c := range 4 {
				for r := range 2 {
					w.smlal2(prod(r, c), k.avec[r], 2+c)
				}
			}
			for c := range 4 {
				for r := range 2 {
					w.sadalp(acc(r, 4*half+c), prod(r, c))
				}
			}
		}
	}
	header(&w, k, neonDoc)
	w.label("tile")
	for v := 16; v < 32; v++ {
		w.line("VEOR V%d.B16, V%d.B16, V%d.B16", v, v, v)
	}
	kLoop(&w, k)
	w.comment("Reduce: each accumulator's 4 lanes to one sum; columns 0-3 of row r")
	w.comment("end in acc(r, 0), columns 4-7 in acc(r, 4).")
	for r := range 2 {
		for c := 0; c < 8; c += 2 {
			w.addp(acc(r, c), acc(r, c), acc(r, c+1))
		}
		w.addp(acc(r, 0), acc(r, 0), acc(r, 2))
		w.addp(acc(r, 4), acc(r, 4), acc(r, 6))
	}
	w.line("VLD1.P 64(R7), [V2.S4, V3.S4, V4.S4, V5.S4]")
	loadClamp(&w, 6, 7, 8)
	for r := range 2 {
		requant(&w, acc(r, 0), 2, 4, 6)
		requant(&w, acc(r, 4), 3, 5, 6)
	}
	w.sqxtn16(9, acc(0, 0), false)
	w.sqxtn16(9, acc(0, 4), true)
	w.sqxtn16(10, acc(1, 0), false)
	w.sqxtn16(10, acc(1, 4), true)
	w.sqxtn8(11, 9, false)
	w.sqxtn8(11, 10, true)
	w.smax(11, 11, 7)
	w.smin(11, 11, 8)
	w.comment("V11 holds row 0 in bytes 0-7 and row 1 in bytes 8-15.")
	w.line("CMP $8, R1")
	w.line("BLT partial")
	w.line("VST1 V11.D[1], (R9)")
	w.line("VST1 V11.D[0], (R8)")
	w.line("ADD $8, R8, R8")
	w.line("ADD $8, R9, R9")
	w.line("SUBS $8, R1, R1")
	w.line("BNE tile")
	w.line("B next")
	w.label("partial")
	w.comment("Fewer than 8 columns left: store 4, 2, 1 bytes per row, shifting")
	w.comment("each row's 64-bit half down after each piece.")
	w.line("TBZ $2, R1, partial2")
	w.line("VST1.P V11.S[2], 4(R9)")
	w.line("VST1.P V11.S[0], 4(R8)")
	w.ushr2d(11, 11, 32)
	w.label("partial2")
	w.line("TBZ $1, R1, partial1")
	w.line("VST1.P V11.H[4], 2(R9)")
	w.line("VST1.P V11.H[0], 2(R8)")
	w.ushr2d(11, 11, 16)
	w.label("partial1")
	w.line("TBZ $0, R1, next")
	w.line("VST1 V11.B[8], (R9)")
	w.line("VST1 V11.B[0], (R8)")
	nextBlock(&w, k)
	return w.b.String()
}

const dotDoc = `// gemm_s8_4x16c4_fp32_neondot: ARMv8.2 dot product, 4 rows x 16 output
// channels, K in steps of 4 (c4) read 16 channels per row at a time,
// fp32 requantization.
//
// SDOT by element: for the 4 channels in lane q of a row's 16 input bytes,
// each 32-bit lane of the accumulator adds the dot product with one
// column's 4 weights, so one SDOT is 4 columns x 4 channels for one row and
// no reduction is needed.
//
// Registers:
//   R0 rows left, scratch    R1 nc (columns left)     R2 kcs (channels per tap)
//   R3 taps                  R4 src                   R5 zero row
//   R6, R12-R14 ind (rows 0-3)                        R7 packed weights
//   R8-R11 dst (rows 0-3)    R19 taps left            R20 kcs walk
//   R21-R24 ind walks        R25, R26, R15, R16 input rows
//   R17 channels left in the tap
//   R19-R21  in the epilogue: output zero point, lo, hi
//   V0-V3    16 input bytes of rows 0-3
//   V4-V11   weights: 4 vectors (16 columns x 4 channels) per step, two sets
//   V16-V31  accumulators: row r, columns 4v..4v+3 in V(16+4r+v)
//   epilogue: V4-V11 biases and multipliers, V12 zero point, V13-V14 lo,
//   hi, V0-V1 narrowing
//
// Packed weights per 16-column tile: for each tap and chunk, 4 steps of
// 16 columns x 4 channels (64 bytes), then 16 int32 biases and 16 float32
// multipliers.
`

func dotKernel() string {
	var w writer
	k := &kernel{
		name: "gemm_s8_4x16c4_fp32_neondot", mr: 4, nr: 16,
		ind: []string{"R6", "R12", "R13", "R14"}, walk: []string{"R21", "R22", "R23", "R24"},
		a: []string{"R25", "R26", "R15", "R16"}, c: []string{"R8", "R9", "R10", "R11"}, avec: []int{0, 1, 2, 3},
	}
	acc := func(r, v int) int { return 16 + 4*r + v }
	k.block = func(w *writer) {
		for q := range 4 {
			b := 4 + 4*(q%2)
			w.line("VLD1.P 64(R7), [V%d.B16, V%d.B16, V%d.B16, V%d.B16]", b, b+1, b+2, b+3)
			for v := range 4 {
				for r := range 4 {
					w.sdot(acc(r, v), b+v, k.avec[r], q)
				}
			}
		}
	}
	header(&w, k, dotDoc)
	w.label("tile")
	for v := 16; v < 32; v++ {
		w.line("VEOR V%d.B16, V%d.B16, V%d.B16", v, v, v)
	}
	kLoop(&w, k)
	w.line("VLD1.P 64(R7), [V4.S4, V5.S4, V6.S4, V7.S4]")
	w.line("VLD1.P 64(R7), [V8.S4, V9.S4, V10.S4, V11.S4]")
	loadClamp(&w, 12, 13, 14)
	for r := range 4 {
		for v := range 4 {
			requant(&w, acc(r, v), 4+v, 8+v, 12)
		}
	}
	w.comment("Narrow each row to 16 bytes in acc(r, 0).")
	for r := range 4 {
		w.sqxtn16(0, acc(r, 0), false)
		w.sqxtn16(0, acc(r, 1), true)
		w.sqxtn16(1, acc(r, 2), false)
		w.sqxtn16(1, acc(r, 3), true)
		w.sqxtn8(acc(r, 0), 0, false)
		w.sqxtn8(acc(r, 0), 1, true)
		w.smax(acc(r, 0), acc(r, 0), 13)
		w.smin(acc(r, 0), acc(r, 0), 14)
	}
	w.line("CMP $16, R1")
	w.line("BLT partial")
	for r := 3; r >= 0; r-- {
		w.line("VST1 [V%d.B16], (%s)", acc(r, 0), k.c[r])
	}
	for r := range 4 {
		w.line("ADD $16, %s, %s", k.c[r], k.c[r])
	}
	w.line("SUBS $16, R1, R1")
	w.line("BNE tile")
	w.line("B next")
	w.label("partial")
	w.comment("Fewer than 16 columns left: store 8, 4, 2, 1 bytes per row,")
	w.comment("rotating the stored bytes out after each piece.")
	for _, piece := range []struct {
		bit  int
		lane string
		next string
	}{{3, "D[0]", "partial4"}, {2, "S[0]", "partial2"}, {1, "H[0]", "partial1"}} {
		size := 1 << piece.bit
		w.line("TBZ $%d, R1, %s", piece.bit, piece.next)
		for r := 3; r >= 0; r-- {
			w.line("VST1.P V%d.%s, %d(%s)", acc(r, 0), piece.lane, size, k.c[r])
		}
		for r := range 4 {
			w.ext16(acc(r, 0), acc(r, 0), size)
		}
		w.label(piece.next)
	}
	w.line("TBZ $0, R1, next")
	for r := 3; r >= 0; r-- {
		w.line("VST1 V%d.B[0], (%s)", acc(r, 0), k.c[r])
	}
	nextBlock(&w, k)
	return w.b.String()
}
