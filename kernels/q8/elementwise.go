package q8

import (
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/tensor"
)

// Add sums two int8 tensors of different parameters (a residual
// connection) on the kernels k (nil: the reference), exactly as q8ref.Add:
//
//	dst = clamp(roundToEven(float32(a-zA)*mA + float32(b-zB)*mB) + zero, lo, hi)
//
// with each float32 operation rounded on its own. dst may be a or b.
// (Multipliers are finite: with an infinite one, q8ref.Add converts a NaN
// to int8, which Go leaves to the implementation.)
func Add(k *Kernels, dst, a, b []int8, zA, zB int32, mA, mB float32, o q8ref.Output) {
	if k == nil {
		q8ref.Add(dst, a, b, zA, zB, mA, mB, o)
		return
	}
	a, b = a[:len(dst)], b[:len(dst)]
	rq := NewRequant(o.Zero, o.Lo, o.Hi)
	k.Add(dst, a, b, zA, zB, mA, mB, rq)
	n := len(dst) &^ (block - 1)
	if n == len(dst) {
		return
	}
	// The tail goes through the same microkernel in a block of its own,
	// so every value is computed by one implementation.
	var ta, tb [block]int8
	copy(ta[:], a[n:])
	copy(tb[:], b[n:])
	td := k.AddBlock(ta, tb, zA, zB, mA, mB, rq)
	copy(dst[n:], td[:])
}

// MulChannels rescales every pixel of x channel by channel by s
// ([N,1,1,C]), squeeze-and-excitation's gate, on the kernels k (nil: the
// reference), exactly as q8ref.MulChannels:
//
//	dst = Requantize((x-zX)*(s-zS), o.Multipliers[0], o.Zero, o.Lo, o.Hi)
//
// Blocks of 16 channels run in the microkernel, the remaining channels in
// MulChannelsGo. dst may be x.
func MulChannels(k *Kernels, dst, x, s *tensor.Int8, zX, zS int32, o q8ref.Output) {
	if k == nil {
		q8ref.MulChannels(dst, x, s, zX, zS, o)
		return
	}
	sh := x.Shape
	c, pixels := sh.C, sh.H*sh.W
	mult, rq := o.Multipliers[0], NewRequant(o.Zero, o.Lo, o.Hi)
	for n := range sh.N {
		xs := x.Data[n*pixels*c : (n+1)*pixels*c]
		ds := dst.Data[n*pixels*c : (n+1)*pixels*c]
		ss := s.Data[n*c : (n+1)*c]
		k.MulChannels(ds, xs, ss, pixels, c, zX, zS, mult, rq)
		MulChannelsGo(ds, xs, ss, pixels, c, c&^(block-1), c, zX, zS, mult, o.Zero, o.Lo, o.Hi)
	}
}

// LookupTable maps every value through a 256-entry table on the kernels k
// (nil: the reference), as q8ref.LookupTable: dst[i] = table[src[i]+128].
// dst and src may be the same slice; src must hold at least len(dst)
// values.
func LookupTable(k *Kernels, dst, src []int8, table *[256]int8) {
	if k == nil {
		q8ref.LookupTable(dst, src, table)
		return
	}
	src = src[:len(dst)]
	k.LookupTable(dst, src, table)
	n := len(dst) &^ (k.LookupBlock - 1)
	q8ref.LookupTable(dst[n:], src[n:], table)
}
