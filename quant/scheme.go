package quant

import (
	"fmt"
	"math"
)

// Int8 limits. Weights avoid -128 so that their range is symmetric and
// negating a weight never overflows.
const (
	QMin       = -128
	QMax       = 127
	WeightQMax = 127
)

// Params quantizes one tensor: real = Scale * (q - Zero).
type Params struct {
	Scale float32
	Zero  int32 // in [QMin, QMax]
}

func (p Params) String() string { return fmt.Sprintf("scale %.6g zero %d", p.Scale, p.Zero) }

// ChooseParams returns the asymmetric parameters that map the real range
// [lo, hi] onto [-128, 127]. The range is first widened to contain 0, and
// the zero point is rounded to an integer, so that real 0 (zero padding,
// ReLU's output) is represented exactly; the rounding shifts the covered
// range by less than half a step.
func ChooseParams(lo, hi float32) Params {
	lo, hi = min(lo, 0), max(hi, 0)
	if hi-lo < 1e-8 || math.IsNaN(float64(hi-lo)) {
		hi = lo + 1e-8
	}
	scale := float32((float64(hi) - float64(lo)) / (QMax - QMin))
	zero := QMin - math.Round(float64(lo)/float64(scale))
	return Params{Scale: scale, Zero: int32(min(max(zero, QMin), QMax))}
}

// Quantize maps a real value to int8, rounding to nearest (ties to even)
// and saturating.
func (p Params) Quantize(x float32) int8 {
	q := roundToEven(float32(x/p.Scale)) + int64(p.Zero)
	return int8(min(max(q, QMin), QMax))
}

// Dequantize maps q back to its real value.
func (p Params) Dequantize(q int8) float32 { return p.Scale * float32(int32(q)-p.Zero) }

// WeightScales returns one symmetric scale per output channel for weights
// laid out with perChannel consecutive values per channel: the channel's
// largest magnitude maps to 127. An all-zero channel gets scale 1.
func WeightScales(w []float32, channels int) []float32 {
	per := len(w) / channels
	scales := make([]float32, channels)
	for c := range scales {
		var m float32
		for _, v := range w[c*per : (c+1)*per] {
			m = max(m, float32(math.Abs(float64(v))))
		}
		scales[c] = 1
		if m > 0 {
			scales[c] = m / WeightQMax
		}
	}
	return scales
}

// QuantizeWeight maps a weight to [-127, 127] with a symmetric scale.
func QuantizeWeight(w, scale float32) int8 {
	q := roundToEven(float32(w / scale))
	return int8(min(max(q, -WeightQMax), WeightQMax))
}

// Requantize is neonet's one requantization scheme, "fp32-rne". It turns
// an int32 accumulator, whose real value is acc * (input scales), into an
// int8 of the output tensor:
//
//	q = clamp(roundToEven(float32(acc) * multiplier) + zero, lo, hi)
//
// where multiplier = input scales / output scale. Exactly:
//   - float32(acc) is acc rounded to the nearest float32 (ties to even),
//     exact for |acc| <= 2^24;
//   - the product is one IEEE-754 single-precision multiplication, rounded
//     to nearest even (never fused with another operation);
//   - the rounding to an integer is to nearest with ties to even (2.5 -> 2,
//     3.5 -> 4, -2.5 -> -2), as ARM's FCVTNS and x86's CVTPS2DQ do in their
//     default mode;
//   - adding the zero point and clamping to [lo, hi] saturate; [lo, hi] is
//     [-128, 127] narrowed by a fused ReLU (lo = zero) or ReLU6.
//
// Products too large for int32 saturate to the clamp bounds.
func Requantize(acc int32, multiplier float32, zero, lo, hi int32) int8 {
	v := roundToEven(float32(float32(acc) * multiplier))
	q := v + int64(zero)
	return int8(min(max(q, int64(lo)), int64(hi)))
}

// roundToEven rounds x to the nearest integer, ties to even, saturating
// far outside the int32 range so that the caller's clamp decides.
func roundToEven(x float32) int64 {
	r := math.RoundToEven(float64(x))
	switch {
	case r > math.MaxInt32:
		return math.MaxInt32
	case r < math.MinInt32:
		return math.MinInt32
	case r != r: // NaN cannot come from finite inputs; map it to zero
		return 0
	}
	return int64(r)
}

// Clamp returns the int8 output bounds that apply an activation fused into
// requantization: ReLU clamps at the real value 0 (the zero point), ReLU6
// also at the quantized 6.
func Clamp(out Params, relu, relu6 bool) (lo, hi int32) {
	lo, hi = QMin, QMax
	if relu || relu6 {
		lo = out.Zero
	}
	if relu6 {
		hi = min(int32(out.Quantize(6)), QMax)
	}
	return lo, hi
}

// LookupTable tabulates f for every int8 input: table[q+128] is the int8 of
// f(in.Dequantize(q)) in out's parameters. f is evaluated in float64, so
// each entry is the correctly rounded result of the real function on that
// input, and the int8 op is a single table lookup.
func LookupTable(f func(float64) float64, in, out Params) [256]int8 {
	var t [256]int8
	for q := QMin; q <= QMax; q++ {
		x := float64(in.Dequantize(int8(q)))
		y := f(x) / float64(out.Scale)
		v := math.RoundToEven(y) + float64(out.Zero)
		t[q-QMin] = int8(min(max(v, QMin), QMax))
	}
	return t
}
