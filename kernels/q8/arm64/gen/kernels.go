package main

import "fmt"

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
		name: "gemm_s8_2x8c16_fp32_neon", mr: 2,
		ind: []string{"R6", "R12"}, walk: []string{"R21", "R22"},
		a: []string{"R25", "R26"}, c: []string{"R8", "R9"}, avec: []int{0, 1},
	}
	fileHeader(&w, neonDoc)
	rowMacros(&w, k)
	neonMAC(&w)
	w.define("REDUCE_ROW adds the 4 lanes of each of a row's 8 accumulators (from Va) "+
		"into one sum: columns 0-3 end in Va, columns 4-7 in Va+4.", "REDUCE_ROW(a)",
		"ADDP_4S(a, a, a+1)", "ADDP_4S(a+2, a+2, a+3)", "ADDP_4S(a+4, a+4, a+5)",
		"ADDP_4S(a+6, a+6, a+7)", "ADDP_4S(a, a, a+2)", "ADDP_4S(a+4, a+4, a+6)")
	prologue(&w, k)
	w.line("REDUCE_ROW(16)")
	w.line("REDUCE_ROW(24)")
	w.line("VLD1.P 64(R7), [V2.S4, V3.S4, V4.S4, V5.S4]")
	w.line("GEMM_CLAMP(V6, V7, V8)")
	w.line("REQUANT_BIAS(16, 2, 4, 6)")
	w.line("REQUANT_BIAS(20, 3, 5, 6)")
	w.line("REQUANT_BIAS(24, 2, 4, 6)")
	w.line("REQUANT_BIAS(28, 3, 5, 6)")
	w.line("NARROW_CLAMP(16, 20, 24, 28, 9, 10, 11, 7, 8)")
	w.note("V11 holds row 0 in bytes 0-7 and row 1 in bytes 8-15.")
	w.line("CMP $8, R1")
	w.line("BLT partial")
	w.line("VST1 V11.D[1], (R9)")
	w.line("VST1 V11.D[0], (R8)")
	w.line("ADD $8, R8, R8")
	w.line("ADD $8, R9, R9")
	w.line("GEMM_NEXT_TILE(8)")
	w.label("partial")
	w.note("Fewer than 8 columns left: store 4, 2, 1 bytes per row, shifting")
	w.note("each row's 64-bit half down after each piece.")
	w.line("TBZ $2, R1, partial2")
	w.line("VST1.P V11.S[2], 4(R9)")
	w.line("VST1.P V11.S[0], 4(R8)")
	w.line("USHR_2D(11, 11, 32)")
	w.label("partial2")
	w.line("TBZ $1, R1, partial1")
	w.line("VST1.P V11.H[4], 2(R9)")
	w.line("VST1.P V11.H[0], 2(R8)")
	w.line("USHR_2D(11, 11, 16)")
	w.label("partial1")
	w.line("TBZ $0, R1, next")
	w.line("VST1 V11.B[8], (R9)")
	w.line("VST1 V11.B[0], (R8)")
	w.line("GEMM_NEXT(1)")
	return w.b.String()
}

// neonMAC defines MAC for the NEON kernel: two halves of 4 columns.
func neonMAC(w *writer) {
	prod := func(r, c int) int { return 6 + 2*(c%4) + r }
	body := []string{"VLD1.P 64(R7), [V2.B16, V3.B16, V4.B16, V5.B16]"}
	for _, op := range []string{"SMULL_8H", "SMLAL2_8H"} {
		for c := range 4 {
			body = append(body, fmt.Sprintf("%s(%d, 0, %d); %s(%d, 1, %d)", op, prod(0, c), 2+c, op, prod(1, c), 2+c))
		}
	}
	for c := range 4 {
		off := ""
		if c > 0 {
			off = fmt.Sprintf("+%d", c)
		}
		body = append(body, fmt.Sprintf("SADALP_4S(a%s, %d); SADALP_4S(b%s, %d)", off, prod(0, c), off, prod(1, c)))
	}
	w.define("MAC4 multiplies both rows' 16 input bytes (V0, V1) by the next 4 columns' "+
		"weights (V2-V5): SMULL and SMLAL2 into int16 (V6-V13), SADALP into the "+
		"accumulators of row 0 (Va..Va+3) and row 1 (Vb..Vb+3).", "MAC4(a, b)", body...)
	w.text("#define MAC MAC4(16, 24); MAC4(20, 28)\n")
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
		name: "gemm_s8_4x16c4_fp32_neondot", mr: 4,
		ind: []string{"R6", "R12", "R13", "R14"}, walk: []string{"R21", "R22", "R23", "R24"},
		a: []string{"R25", "R26", "R15", "R16"}, c: []string{"R8", "R9", "R10", "R11"}, avec: []int{0, 1, 2, 3},
	}
	acc := func(r, v int) int { return 16 + 4*r + v }
	fileHeader(&w, dotDoc)
	rowMacros(&w, k)
	dotMAC(&w, k)
	w.comment("REQUANT_ROW requantizes the 16 columns of the row whose accumulators " +
		"start at Va; NARROW_ROW narrows and clamps them to 16 bytes in Va.")
	w.text("#define REQUANT_ROW(a) REQUANT_BIAS(a, 4, 8, 12); REQUANT_BIAS(a+1, 5, 9, 12); REQUANT_BIAS(a+2, 6, 10, 12); REQUANT_BIAS(a+3, 7, 11, 12)\n")
	w.text("#define NARROW_ROW(a) NARROW_CLAMP(a, a+1, a+2, a+3, 0, 1, a, 13, 14)\n")
	dotStores(&w, k, acc)
	prologue(&w, k)
	w.line("VLD1.P 64(R7), [V4.S4, V5.S4, V6.S4, V7.S4]")
	w.line("VLD1.P 64(R7), [V8.S4, V9.S4, V10.S4, V11.S4]")
	w.line("GEMM_CLAMP(V12, V13, V14)")
	for r := range 4 {
		w.line("REQUANT_ROW(%d)", acc(r, 0))
	}
	for r := range 4 {
		w.line("NARROW_ROW(%d)", acc(r, 0))
	}
	w.line("CMP $16, R1")
	w.line("BLT partial")
	w.line("STORE16")
	w.line("GEMM_NEXT_TILE(16)")
	w.label("partial")
	w.note("Fewer than 16 columns left: store 8, 4, 2, 1 bytes per row,")
	w.note("rotating the stored bytes out after each piece.")
	w.line("STORE_PIECE(3, D[0], 8, partial4)")
	w.label("partial4")
	w.line("STORE_PIECE(2, S[0], 4, partial2)")
	w.label("partial2")
	w.line("STORE_PIECE(1, H[0], 2, partial1)")
	w.label("partial1")
	w.line("TBZ $0, R1, next")
	for r := 3; r >= 0; r-- {
		w.line("VST1 V%d.B[0], (%s)", acc(r, 0), k.c[r])
	}
	w.line("GEMM_NEXT(2)")
	return w.b.String()
}

// dotMAC defines MAC for the dot-product kernel: 4 steps of 4 channels,
// weights alternating between V4-V7 and V8-V11.
func dotMAC(w *writer, k *kernel) {
	var body []string
	body = append(body, "VLD1.P 64(R7), [w0.B16, w1.B16, w2.B16, w3.B16]")
	for v := range 4 {
		wv := "w"
		if v > 0 {
			wv = fmt.Sprintf("w+%d", v)
		}
		body = append(body, k.eachRow(func(r int) string {
			return fmt.Sprintf("SDOT_4S(%d, %s, %d, q)", 16+4*r+v, wv, k.avec[r])
		}))
	}
	w.define("DOTSTEP adds the 4 channels in lane q of each row's input (V0-V3) times "+
		"the next 16 columns' weights, loaded into w0-w3 (register numbers w to w+3), to "+
		"the accumulators: row r, columns 4v..4v+3 in V(16+4r+v).",
		"DOTSTEP(w0, w1, w2, w3, w, q)", body...)
	var steps []string
	for q := range 4 {
		b := 4 + 4*(q%2)
		steps = append(steps, fmt.Sprintf("DOTSTEP(V%d, V%d, V%d, V%d, %d, %d)", b, b+1, b+2, b+3, b, q))
	}
	w.define("", "MAC", steps...)
}

// dotStores defines the stores of the dot-product kernel's tile: 16 bytes
// per row, or a piece of each row's bytes.
func dotStores(w *writer, k *kernel, acc func(r, v int) int) {
	var full, piece []string
	for r := 3; r >= 0; r-- {
		full = append(full, fmt.Sprintf("VST1 [V%d.B16], (%s)", acc(r, 0), k.c[r]))
	}
	for r := range 4 {
		full = append(full, fmt.Sprintf("ADD $16, %s, %s", k.c[r], k.c[r]))
	}
	piece = append(piece, "TBZ $bit, R1, next")
	for r := 3; r >= 0; r-- {
		piece = append(piece, fmt.Sprintf("VST1.P V%d.lane, size(%s)", acc(r, 0), k.c[r]))
	}
	for r := range 4 {
		piece = append(piece, fmt.Sprintf("EXT_16B(%d, %d, %d, size)", acc(r, 0), acc(r, 0), acc(r, 0)))
	}
	w.define("STORE16 stores the 4 rows' 16 bytes and advances the output rows.", "STORE16", full...)
	w.define("STORE_PIECE stores size bytes (lane) of each row when bit of the columns "+
		"left is set, then rotates them out; else it skips to next.",
		"STORE_PIECE(bit, lane, size, next)", piece...)
}
