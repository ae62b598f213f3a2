package q8ref

import (
	"math"

	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// LookupTable maps every value through a 256-entry table (built by
// quant.LookupTable): table[q+128] is the output for input q. SiLU,
// sigmoid and hard-swish are computed this way.
func LookupTable(dst, src []int8, table *[256]int8) {
	src = src[:len(dst)]
	for i, q := range src {
		dst[i] = table[int(q)+128]
	}
}

// Add sums two int8 tensors with different parameters (a residual
// connection):
//
//	t = float32(float32(a-zA) * mA) + float32(float32(b-zB) * mB)
//	dst = clamp(roundToEven(t) + zOut, lo, hi)
//
// where mA = sA/sOut and mB = sB/sOut, every float32 operation rounded on
// its own (never fused).
func Add(dst, a, b []int8, zA, zB int32, mA, mB float32, out Output) {
	a, b = a[:len(dst)], b[:len(dst)]
	for i := range dst {
		ta := float32(float32(int32(a[i])-zA) * mA)
		tb := float32(float32(int32(b[i])-zB) * mB)
		dst[i] = requantizeReal(float32(ta+tb), out)
	}
}

// requantizeReal rounds a real multiple of the output scale, as Requantize
// does after its multiplication.
func requantizeReal(t float32, out Output) int8 {
	r := math.RoundToEven(float64(t)) + float64(out.Zero)
	return int8(min(max(r, float64(out.Lo)), float64(out.Hi)))
}

// MulChannels multiplies every pixel of x channel by channel by s
// ([N,1,1,C]), squeeze-and-excitation's rescaling:
//
//	dst = Requantize((x - zX) * (s - zS), multiplier, zOut, lo, hi)
//
// with multiplier = sX*sS/sOut.
func MulChannels(dst, x, s *tensor.Int8, zX, zS int32, out Output) {
	sh := x.Shape
	for n := 0; n < sh.N; n++ {
		sc := s.Pixel(n, 0, 0)
		for p := 0; p < sh.H*sh.W; p++ {
			base := (n*sh.H*sh.W + p) * sh.C
			in, res := x.Data[base:base+sh.C], dst.Data[base:base+sh.C]
			for c := range res {
				acc := (int32(in[c]) - zX) * (int32(sc[c]) - zS)
				res[c] = quant.Requantize(acc, out.Multipliers[0], out.Zero, out.Lo, out.Hi)
			}
		}
	}
}

// Requant re-expresses a tensor in other parameters:
// dst = Requantize(src - zIn, sIn/sOut, zOut, lo, hi). It joins tensors of
// different scales before a concatenation.
func Requant(dst, src []int8, zIn int32, out Output) {
	src = src[:len(dst)]
	for i, q := range src {
		dst[i] = quant.Requantize(int32(q)-zIn, out.Multipliers[0], out.Zero, out.Lo, out.Hi)
	}
}

// Concat joins tensors of the same parameters along channels.
func Concat(dst *tensor.Int8, srcs []*tensor.Int8) {
	s := dst.Shape
	for n := 0; n < s.N; n++ {
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				o := dst.Pixel(n, y, x)
				for _, src := range srcs {
					o = o[copy(o, src.Pixel(n, y, x)):]
				}
			}
		}
	}
}

// Flatten turns [N,H,W,C] into [N,1,1,C*H*W] in PyTorch's channel-major
// order; parameters are unchanged.
func Flatten(dst, src *tensor.Int8) {
	s := src.Shape
	for n := 0; n < s.N; n++ {
		o := dst.Pixel(n, 0, 0)
		for y := 0; y < s.H; y++ {
			for x := 0; x < s.W; x++ {
				for c, v := range src.Pixel(n, y, x) {
					o[(c*s.H+y)*s.W+x] = v
				}
			}
		}
	}
}
