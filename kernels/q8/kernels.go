package q8

// Kernels is one kernel path's microkernels: what an arch package
// (kernels/q8/arm64, kernels/q8/amd64) brings to the operators of this
// package. A set has every field; a nil *Kernels runs the reference
// (kernels/q8ref) instead.
//
// The element-wise microkernels work on blocks of 16 values or channels
// (LookupTable on blocks of LookupBlock values) and need at least one
// whole block; the operators compute the rest. Each has a Go loop with the
// same contract: the reference, or a portable loop of this package.
type Kernels struct {
	// GEMM is the indirect GEMM of Conv, Linear and ShiftConv.
	GEMM GEMM
	// Depthwise computes depthwise convolutions' output rows.
	Depthwise DepthwiseKernel
	// MaxPoolWindow writes the maximum of one pooling window, as
	// MaxPoolWindowGo; channels >= 16.
	MaxPoolWindow func(dst, src []int8, channels, winH, winW, rowStride int)
	// AvgPoolWindow requantizes the sums of one pooling window, as
	// AvgPoolWindowGo; channels >= 16.
	AvgPoolWindow func(dst, src []int8, channels, winH, winW, rowStride int, corr int32, mult float32, rq Requant)
	// Add adds the first len(dst) rounded down to 16 values, as q8ref.Add.
	Add func(dst, a, b []int8, zA, zB int32, mA, mB float32, rq Requant)
	// AddBlock is Add on one block of 16 values passed by value: the last,
	// partial block of a tensor, padded, so that every value of a tensor
	// comes from the same microkernel and no scratch block escapes to the
	// heap.
	AddBlock func(a, b [16]int8, zA, zB int32, mA, mB float32, rq Requant) [16]int8
	// MulChannels rescales channels [0, channels rounded down to 16) of
	// every pixel, as MulChannelsGo.
	MulChannels func(dst, x, s []int8, pixels, channels int, zX, zS int32, mult float32, rq Requant)
	// LookupTable maps the first len(dst) rounded down to LookupBlock
	// values (a power of two), as q8ref.LookupTable.
	LookupTable func(dst, src []int8, table *[256]int8)
	LookupBlock int
}

// Requant is the output side of requantization as the element-wise and
// pooling microkernels read it, made once per operator call: the output
// zero point and bounds (lo <= hi, all int8 values), and the bounds moved
// before the rounding, FLo = lo-zero and FHi = hi-zero as float32. A
// kernel may clamp t in float32 to [FLo, FHi] and then round, instead of
// rounding and clamping the integer: the bounds are exact integers and
// rounding is monotonic, so it gets quant.Requantize's result.
type Requant struct {
	Zero, Lo, Hi int32
	FLo, FHi     float32
}

// NewRequant is the Requant of output zero point zero and bounds lo, hi.
func NewRequant(zero, lo, hi int32) Requant {
	return Requant{Zero: zero, Lo: lo, Hi: hi, FLo: float32(lo - zero), FHi: float32(hi - zero)}
}

// block is the width of the element-wise microkernels: 16 values or
// channels, one vector register of int8 on arm64.
const block = 16
