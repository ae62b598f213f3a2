package amd64

import (
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/quant"
)

// requant is the output side of requantization as the kernels read it:
// the zero point and clamp bounds for the Go twins, and the same bounds
// moved before the rounding for the assembly.
//
// quant.Requantize computes clamp(roundToEven(t) + zero, lo, hi) with
// lo <= hi int8 values and zero an int8 value. The kernels clamp t in
// float32 to [flo, fhi] = [lo-zero, hi-zero] first. Both bounds are
// integers, exactly representable, and rounding is monotonic, so: if
// t < flo then roundToEven(t) <= flo and the reference gives lo, as the
// kernel does from flo; likewise above fhi; in between nothing saturates
// and the results are equal. After this clamp the rounded value plus zero
// already lies in [lo, hi]: the int8 packs cannot saturate and no integer
// clamp is needed. Its fields are q8.Requant's, which the kernel set's
// wrappers convert to it.
type requant struct {
	Zero, Lo, Hi int32   // byte offsets 0, 4, 8
	FLo, FHi     float32 // 12, 16: float32(Lo-Zero), float32(Hi-Zero)
}

func newRequant(zero, lo, hi int32) requant { return requant(q8.NewRequant(zero, lo, hi)) }

// requantize is quant.Requantize with r's parameters: the twins call it.
func (r *requant) requantize(acc int32, mult float32) int8 {
	return quant.Requantize(acc, mult, r.Zero, r.Lo, r.Hi)
}
