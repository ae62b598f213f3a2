package arm64

import (
	"math"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Add sums two int8 tensors of different parameters (a residual
// connection) exactly as q8ref.Add:
//
//	dst = clamp(roundToEven(float32(a-zA)*mA + float32(b-zB)*mB) + zero, lo, hi)
//
// with each float32 operation rounded on its own. dst may be a or b.
func Add(p Path, dst, a, b []int8, zA, zB int32, mA, mB float32, o q8ref.Output) {
	if p == Ref {
		q8ref.Add(dst, a, b, zA, zB, mA, mB, o)
		return
	}
	a, b = a[:len(dst)], b[:len(dst)]
	vadd_s8_c16_fp32_neon(dst, a, b, zA, zB, mA, mB, o.Zero, o.Lo, o.Hi)
	n := len(dst) &^ 15
	if n == len(dst) {
		return
	}
	// The tail goes through the same kernel in a 16-value block on the
	// stack, so every value is computed by one implementation.
	var ta, tb, td [16]int8
	copy(ta[:], a[n:])
	copy(tb[:], b[n:])
	vadd_s8_c16_fp32_neon(td[:], ta[:], tb[:], zA, zB, mA, mB, o.Zero, o.Lo, o.Hi)
	copy(dst[n:], td[:])
}

// vaddGo is the scalar residual add, in q8ref.Add's order of operations.
func vaddGo(dst, a, b []int8, zA, zB int32, mA, mB float32, zero, lo, hi int32) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		ta := float32(float32(int32(a[i])-zA) * mA)
		tb := float32(float32(int32(b[i])-zB) * mB)
		r := math.RoundToEven(float64(float32(ta+tb))) + float64(zero)
		dst[i] = int8(min(max(r, float64(lo)), float64(hi)))
	}
}

// MulChannels rescales every pixel of x channel by channel by s
// ([N,1,1,C]), squeeze-and-excitation's gate, exactly as q8ref.MulChannels:
//
//	dst = Requantize((x-zX)*(s-zS), o.Multipliers[0], o.Zero, o.Lo, o.Hi)
//
// Blocks of 16 channels run in the vector kernel, the remaining channels
// in Go. dst may be x.
func MulChannels(p Path, dst, x, s *tensor.Int8, zX, zS int32, o q8ref.Output) {
	if p == Ref {
		q8ref.MulChannels(dst, x, s, zX, zS, o)
		return
	}
	sh := x.Shape
	c, pixels := sh.C, sh.H*sh.W
	mult := o.Multipliers[0]
	for n := range sh.N {
		xs := x.Data[n*pixels*c : (n+1)*pixels*c]
		ds := dst.Data[n*pixels*c : (n+1)*pixels*c]
		ss := s.Data[n*c : (n+1)*c]
		vmulc_s8_c16_fp32_neon(ds, xs, ss, pixels, c, zX, zS, mult, o.Zero, o.Lo, o.Hi)
		vmulcGo(ds, xs, ss, pixels, c, c&^15, c, zX, zS, mult, o.Zero, o.Lo, o.Hi)
	}
}

// vmulcGo rescales channels [c0, c1) of pixels pixels (stride channels).
func vmulcGo(dst, x, s []int8, pixels, channels, c0, c1 int, zX, zS int32, mult float32, zero, lo, hi int32) {
	for p := range pixels {
		in, res := x[p*channels:][c0:c1], dst[p*channels:][c0:c1]
		for i, v := range in {
			acc := (int32(v) - zX) * (int32(s[c0+i]) - zS)
			res[i] = quant.Requantize(acc, mult, zero, lo, hi)
		}
	}
}
