package main

import (
	"fmt"
	"strings"
)

// operand is one field of an encoded instruction: a macro parameter and
// the values it may take.
type operand struct {
	name     string
	min, max int
}

func vreg(name string) operand  { return operand{name, 0, 31} }
func xreg(name string) operand  { return operand{name, 0, 30} } // 31 is SP or XZR
func lane(name string) operand  { return operand{name, 0, 3} }
func index(name string) operand { return operand{name, 0, 15} }

// encoder is one AdvSIMD instruction form the Go assembler lacks, written
// as a macro that assembles to WORD $(base | fields).
type encoder struct {
	macro  string
	ops    []operand
	gnu    string // GNU syntax; {name} stands for an operand's value
	base   uint32
	fields string // the operand fields, in the Go assembler's expression syntax
}

// The usual register fields: Rd at bit 0, Rn at 5, Rm at 16.
const (
	fieldsDN  = "(n)<<5 | (d)"
	fieldsDNM = "(m)<<16 | (n)<<5 | (d)"
)

func dn(macro, gnu string, base uint32) encoder {
	return encoder{macro, []operand{vreg("d"), vreg("n")}, gnu, base, fieldsDN}
}

func dnm(macro, gnu string, base uint32) encoder {
	return encoder{macro, []operand{vreg("d"), vreg("n"), vreg("m")}, gnu, base, fieldsDNM}
}

// encoders lists every instruction the kernels of kernels/q8/arm64 encode
// themselves, by the arrangement of the destination where the mnemonic
// has several.
var encoders = []encoder{
	dnm("SMULL_8H", "smull v{d}.8h, v{n}.8b, v{m}.8b", 0x0e20c000),
	dnm("SMULL2_8H", "smull2 v{d}.8h, v{n}.16b, v{m}.16b", 0x4e20c000),
	dnm("SMLAL_8H", "smlal v{d}.8h, v{n}.8b, v{m}.8b", 0x0e208000),
	dnm("SMLAL2_8H", "smlal2 v{d}.8h, v{n}.16b, v{m}.16b", 0x4e208000),
	dn("SADALP_4S", "sadalp v{d}.4s, v{n}.8h", 0x4e606800),
	dnm("SADDW_4S", "saddw v{d}.4s, v{n}.4s, v{m}.4h", 0x0e601000),
	dnm("SADDW2_4S", "saddw2 v{d}.4s, v{n}.4s, v{m}.8h", 0x4e601000),
	dn("SXTL_8H", "sxtl v{d}.8h, v{n}.8b", 0x0f08a400),
	dn("SXTL2_8H", "sxtl2 v{d}.8h, v{n}.16b", 0x4f08a400),
	dn("SXTL_4S", "sxtl v{d}.4s, v{n}.4h", 0x0f10a400),
	dn("SXTL2_4S", "sxtl2 v{d}.4s, v{n}.8h", 0x4f10a400),
	{"SDOT_4S", []operand{vreg("d"), vreg("n"), vreg("m"), lane("i")},
		"sdot v{d}.4s, v{n}.16b, v{m}.4b[{i}]", 0x4f80e000,
		"((i)&1)<<21 | (m)<<16 | ((i)>>1)<<11 | (n)<<5 | (d)"},
	dnm("ADDP_4S", "addp v{d}.4s, v{n}.4s, v{m}.4s", 0x4ea0bc00),
	dnm("ADD_4S", "add v{d}.4s, v{n}.4s, v{m}.4s", 0x4ea08400),
	dnm("MUL_4S", "mul v{d}.4s, v{n}.4s, v{m}.4s", 0x4ea09c00),
	dn("SCVTF_4S", "scvtf v{d}.4s, v{n}.4s", 0x4e21d800),
	dnm("FMUL_4S", "fmul v{d}.4s, v{n}.4s, v{m}.4s", 0x6e20dc00),
	dnm("FADD_4S", "fadd v{d}.4s, v{n}.4s, v{m}.4s", 0x4e20d400),
	dn("FCVTNS_4S", "fcvtns v{d}.4s, v{n}.4s", 0x4e21a800),
	dnm("SQADD_4S", "sqadd v{d}.4s, v{n}.4s, v{m}.4s", 0x4ea00c00),
	dn("SQXTN_4H", "sqxtn v{d}.4h, v{n}.4s", 0x0e614800),
	dn("SQXTN2_8H", "sqxtn2 v{d}.8h, v{n}.4s", 0x4e614800),
	dn("SQXTN_8B", "sqxtn v{d}.8b, v{n}.8h", 0x0e214800),
	dn("SQXTN2_16B", "sqxtn2 v{d}.16b, v{n}.8h", 0x4e214800),
	dnm("SMAX_16B", "smax v{d}.16b, v{n}.16b, v{m}.16b", 0x4e206400),
	dnm("SMIN_16B", "smin v{d}.16b, v{n}.16b, v{m}.16b", 0x4e206c00),
	{"USHR_2D", []operand{vreg("d"), vreg("n"), {"s", 1, 64}},
		"ushr v{d}.2d, v{n}.2d, #{s}", 0x6f000400, "(128-(s))<<16 | (n)<<5 | (d)"},
	{"EXT_16B", []operand{vreg("d"), vreg("n"), vreg("m"), index("i")},
		"ext v{d}.16b, v{n}.16b, v{m}.16b, #{i}", 0x6e000000, "(m)<<16 | (i)<<11 | (n)<<5 | (d)"},
	{"LDR_Q", []operand{vreg("t"), xreg("n")}, "ldr q{t}, [x{n}]", 0x3dc00000, "(n)<<5 | (t)"},
	{"LDR_Q_X", []operand{vreg("t"), xreg("n"), xreg("m")},
		"ldr q{t}, [x{n}, x{m}]", 0x3ce06800, "(m)<<16 | (n)<<5 | (t)"},
}

// params is the macro's parameter list.
func (e encoder) params() string {
	names := make([]string, len(e.ops))
	for i, o := range e.ops {
		names[i] = o.name
	}
	return strings.Join(names, ", ")
}

// define is the macro definition, after a comment with the GNU syntax.
func (e encoder) define() string {
	return fmt.Sprintf("// %s\n#define %s(%s) WORD $(0x%08x | %s)\n",
		e.gnuSyntax(nil), e.macro, e.params(), e.base, e.fields)
}

// gnuSyntax is the instruction in GNU syntax for operand values vals, or
// with the operands' names (upper case) when vals is nil.
func (e encoder) gnuSyntax(vals []int) string {
	s := e.gnu
	for i, o := range e.ops {
		v := strings.ToUpper(o.name)
		if vals != nil {
			v = fmt.Sprint(vals[i])
		}
		s = strings.ReplaceAll(s, "{"+o.name+"}", v)
	}
	return s
}

// call is the macro invoked on operand values vals.
func (e encoder) call(vals []int) string {
	s := make([]string, len(vals))
	for i, v := range vals {
		s[i] = fmt.Sprint(v)
	}
	return e.macro + "(" + strings.Join(s, ", ") + ")"
}

const neonHeaderDoc = `// The AdvSIMD instructions the Go assembler lacks, and the requantization
// epilogue, for every kernel of kernels/q8/arm64: the GEMM kernels gen
// writes and the depthwise, pooling and element-wise kernels written by
// hand. Include it after textflag.h.
//
// Each instruction is a macro that assembles to one WORD from register
// numbers (0-31) and immediates; the comment above it is its GNU syntax.
// gen's test assembles every macro over every value of every operand with
// the Go assembler and with aarch64-linux-gnu-as and compares the words.
`

// neonHeader is neon_arm64.h.
func neonHeader() string {
	var w writer
	w.text("%s\n%s", generated, neonHeaderDoc)
	for _, e := range encoders {
		w.text("\n%s", e.define())
	}
	requantMacros(&w)
	return w.b.String()
}

// requantMacros defines the requantization epilogue.
func requantMacros(w *writer) {
	w.comment("Requantization, exactly as quant.Requantize(acc, m, zero, lo, hi) = " +
		"clamp(roundToEven(float32(acc) * m) + zero, lo, hi), one instruction per step: " +
		"SCVTF (to float32, nearest even), FMUL (one IEEE multiply, never fused with an " +
		"add), FCVTNS (nearest, ties to even, saturating; NaN gives 0), SQADD zero " +
		"(saturating), SQXTN twice (saturating narrows keep values on their side of the " +
		"clamp), SMAX lo, SMIN hi. Register arguments are numbers; z is the zero point in " +
		"int32 lanes, lo and hi the bounds in int8 lanes.")
	w.define("REQUANT_BIAS requantizes accumulator a (4 int32 lanes) in place, in the "+
		"GEMM kernels' order: + bias b (int32, wrapping like the reference's sum), "+
		"float32, x multiplier m, round, + zero point z.", "REQUANT_BIAS(a, b, m, z)",
		"ADD_4S(a, a, b)", "SCVTF_4S(a, a)", "FMUL_4S(a, a, m)", "FCVTNS_4S(a, a)", "SQADD_4S(a, a, z)")
	w.define("SCVTF_X4 converts 4 vectors of int32 to float32 in place.",
		"SCVTF_X4(a0, a1, a2, a3)", x4("SCVTF_4S(a%[1]d, a%[1]d)")...)
	w.define("FMUL_X4 multiplies 4 vectors of float32 in place by m0-m3.",
		"FMUL_X4(a0, a1, a2, a3, m0, m1, m2, m3)", x4("FMUL_4S(a%[1]d, a%[1]d, m%[1]d)")...)
	w.define("ROUND_X4 rounds 4 vectors of float32 to int32 in place and adds the zero point z.",
		"ROUND_X4(a0, a1, a2, a3, z)",
		append(x4("FCVTNS_4S(a%[1]d, a%[1]d)"), x4("SQADD_4S(a%[1]d, a%[1]d, z)")...)...)
	w.define("NARROW_CLAMP narrows the 16 int32 lanes of a0-a3 to 16 int8 lanes of d, "+
		"through int16 in t0 (a0, a1) and t1 (a2, a3), and clamps them to [lo, hi]. d may "+
		"be t0 or a0.", "NARROW_CLAMP(a0, a1, a2, a3, t0, t1, d, lo, hi)",
		"SQXTN_4H(t0, a0)", "SQXTN2_8H(t0, a1)", "SQXTN_4H(t1, a2)", "SQXTN2_8H(t1, a3)",
		"SQXTN_8B(d, t0)", "SQXTN2_16B(d, t1)", "SMAX_16B(d, d, lo)", "SMIN_16B(d, d, hi)")
	w.define("REQUANT_X4 requantizes the 16 int32 lanes of a0-a3 (multipliers m0-m3) into "+
		"the 16 int8 lanes of t0, with t1 as scratch: the epilogue of the depthwise, "+
		"average-pooling and channel-multiply kernels.",
		"REQUANT_X4(a0, a1, a2, a3, m0, m1, m2, m3, z, lo, hi, t0, t1)",
		"SCVTF_X4(a0, a1, a2, a3)", "FMUL_X4(a0, a1, a2, a3, m0, m1, m2, m3)",
		"ROUND_X4(a0, a1, a2, a3, z)", "NARROW_CLAMP(a0, a1, a2, a3, t0, t1, t0, lo, hi)")
	w.define("SADDW_X4 adds the 16 int16 lanes of p0 (lanes 0-7) and p1 (lanes 8-15) to "+
		"the int32 accumulators a to a+3, as the depthwise and average-pooling kernels sum.",
		"SADDW_X4(a, p0, p1)",
		"SADDW_4S(a, a, p0)", "SADDW2_4S(a+1, a+1, p0)", "SADDW_4S(a+2, a+2, p1)", "SADDW2_4S(a+3, a+3, p1)")
	w.define("DUP_ARG loads a kernel's 32-bit argument arg with load (MOVW, MOVWU) into "+
		"general register r and broadcasts it to v (with its arrangement).",
		"DUP_ARG(load, arg, r, v)", "load arg, r", "VDUP r, v")
	w.define("LOAD_REQUANT broadcasts a kernel's int32 arguments zero, lo and hi, via "+
		"general register r, to vz (int32 lanes), vlo and vhi (int8 lanes).",
		"LOAD_REQUANT(zero, lo, hi, r, vz, vlo, vhi)",
		"DUP_ARG(MOVW, zero, r, vz.S4)", "DUP_ARG(MOVW, lo, r, vlo.B16)", "DUP_ARG(MOVW, hi, r, vhi.B16)")
}

// x4 is format applied to 0, 1, 2, 3.
func x4(format string) []string {
	s := make([]string, 4)
	for i := range s {
		s[i] = fmt.Sprintf(format, i)
	}
	return s
}
