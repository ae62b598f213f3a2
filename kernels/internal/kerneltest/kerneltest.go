package kerneltest

import (
	"math"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Outputs live inside a larger buffer filled with Sentinel (GuardLen
// bytes each side), and the bytes around them must come back untouched.
const (
	GuardLen = 64
	Sentinel = int8(0x5a)
)

// Guarded returns a slice of n Sentinel values with GuardLen sentinels
// before and after it in the same array.
func Guarded(n int) (inner, whole []int8) {
	whole = make([]int8, n+2*GuardLen)
	for i := range whole {
		whole[i] = Sentinel
	}
	return whole[GuardLen : GuardLen+n : GuardLen+n], whole
}

// CheckGuards fails if anything outside the inner slice changed.
func CheckGuards(t *testing.T, what string, whole []int8) {
	t.Helper()
	n := len(whole) - 2*GuardLen
	for i, v := range whole {
		if (i < GuardLen || i >= GuardLen+n) && v != Sentinel {
			t.Fatalf("%s: wrote %d at guard byte %d (output is bytes %d..%d)", what, v, i, GuardLen, GuardLen+n)
		}
	}
}

// GuardedTensor is an int8 tensor of shape s inside a Guarded buffer.
func GuardedTensor(s tensor.Shape) (*tensor.Int8, []int8) {
	data, whole := Guarded(s.Elems())
	return &tensor.Int8{Shape: s, Data: data}, whole
}

func RandomInt8s(rng *rand.Rand, n int) []int8 {
	v := make([]int8, n)
	for i := range v {
		v[i] = int8(rng.IntN(256))
	}
	return v
}

func RandomTensor(rng *rand.Rand, s tensor.Shape) *tensor.Int8 {
	return &tensor.Int8{Shape: s, Data: RandomInt8s(rng, s.Elems())}
}

// RandomMultiplier mixes typical scales with exact powers of two (ties in
// the rounding) and large values (saturation).
func RandomMultiplier(rng *rand.Rand) float32 {
	switch rng.IntN(5) {
	case 0:
		return []float32{0.5, 0.25, 0.125, 1.0 / 64}[rng.IntN(4)]
	case 1:
		return float32(rng.Float64() * 4)
	}
	return float32(rng.Float64() * 0.02)
}

// RandomOutput picks a zero point, one or per-channel multipliers, and
// sometimes the narrowed clamp of a fused ReLU or ReLU6.
func RandomOutput(rng *rand.Rand, channels int, perChannel bool) q8ref.Output {
	o := q8ref.Output{Zero: int32(rng.IntN(256) - 128), Lo: quant.QMin, Hi: quant.QMax}
	n := 1
	if perChannel {
		n = channels
	}
	for range n {
		o.Multipliers = append(o.Multipliers, RandomMultiplier(rng))
	}
	if rng.IntN(3) == 0 {
		o.Lo = o.Zero
		o.Hi = int32(rng.IntN(int(quant.QMax-o.Lo)+1)) + o.Lo
	}
	return o
}

// Diff fails at the first value where got differs from want, or when
// their lengths differ.
func Diff(t *testing.T, what string, got, want []int8) {
	t.Helper()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: first difference at %d of %d: got %d, want %d", what, i, len(want), got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
}

// ConvRandomInt8s draws n values in [lo, hi].
func ConvRandomInt8s(rng *rand.Rand, n, lo, hi int) []int8 {
	v := make([]int8, n)
	for i := range v {
		v[i] = int8(lo + rng.IntN(hi-lo+1))
	}
	return v
}

// ConvRandomOutput draws requantization parameters for accumulators over
// k products: multipliers that spread results over the int8 range, a few
// that saturate, random zero points and clamp bounds (sometimes a ReLU).
func ConvRandomOutput(rng *rand.Rand, channels, k int) q8ref.Output {
	scale := 1 / (40 * 64 * math.Sqrt(float64(k)))
	n := channels
	if rng.IntN(4) == 0 {
		n = 1 // one shared multiplier
	}
	m := make([]float32, n)
	for i := range m {
		m[i] = float32(scale * math.Exp(rng.Float64()*5-2)) // e^-2 .. e^3: some saturate
	}
	o := q8ref.Output{Multipliers: m, Zero: int32(rng.IntN(256) - 128), Lo: quant.QMin, Hi: quant.QMax}
	switch rng.IntN(3) {
	case 0: // ReLU
		o.Lo = o.Zero
	case 1:
		o.Lo, o.Hi = int32(rng.IntN(100)-120), int32(rng.IntN(100)+20)
	}
	return o
}

func Shape(n, h, w, c int) tensor.Shape { return tensor.Shape{N: n, H: h, W: w, C: c} }
