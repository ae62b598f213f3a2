package kerneltest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Ops is one package's stateless kernels (pools, elementwise, lookup
// table), which the tests below compare with kernels/q8ref.
type Ops struct {
	// Paths is every path the package supports on this CPU.
	Paths func(t *testing.T) []dispatch.Path
	// Fast is the package's optimized path, for the benchmarks.
	Fast          dispatch.Path
	MaxPool       func(p dispatch.Path, dst, src *tensor.Int8, g nn.PoolGeometry)
	AvgPool       func(p dispatch.Path, dst, src *tensor.Int8, g nn.PoolGeometry, zIn int32, o q8ref.Output)
	GlobalAvgPool func(p dispatch.Path, dst, src *tensor.Int8, zIn int32, o q8ref.Output)
	Add           func(p dispatch.Path, dst, a, b []int8, zA, zB int32, mA, mB float32, o q8ref.Output)
	MulChannels   func(p dispatch.Path, dst, x, s *tensor.Int8, zX, zS int32, o q8ref.Output)
	LookupTable   func(p dispatch.Path, dst, src []int8, table *[256]int8)
}

func PoolsMatchReference(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(20, 21))
	for si, s := range PoolShapes {
		src := RandomTensor(rng, s)
		if si%2 == 1 { // mostly -128: whole windows at the minimum
			for i := range src.Data {
				src.Data[i] = int8(-128 + rng.IntN(10)/9)
			}
		}
		for gi, g := range PoolGeometries {
			oh, ow := g.OutSize(s.H, s.W)
			if oh < 1 || ow < 1 {
				continue
			}
			os := tensor.Shape{N: s.N, H: oh, W: ow, C: s.C}
			zIn := int32(rng.IntN(256) - 128)
			o := RandomOutput(rng, 1, false)
			wantMax, wantAvg := tensor.NewInt8(os), tensor.NewInt8(os)
			q8ref.MaxPool(wantMax, src, g)
			q8ref.AvgPool(wantAvg, src, g, zIn, o)
			for _, p := range k.Paths(t) {
				name := fmt.Sprintf("%s/%v/geometry%d", p, s, gi)
				got, whole := GuardedTensor(os)
				k.MaxPool(p, got, src, g)
				Diff(t, "max "+name, got.Data, wantMax.Data)
				CheckGuards(t, "max "+name, whole)

				got, whole = GuardedTensor(os)
				k.AvgPool(p, got, src, g, zIn, o)
				Diff(t, "avg "+name, got.Data, wantAvg.Data)
				CheckGuards(t, "avg "+name, whole)
			}
		}
	}
}

func GlobalAvgPoolMatchesReference(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(22, 23))
	shapes := append(PoolShapes, tensor.Shape{N: 1, H: 7, W: 7, C: 1280}, tensor.Shape{N: 1, H: 1, W: 1, C: 20})
	for _, s := range shapes {
		for trial := range 3 {
			src := RandomTensor(rng, s)
			if trial == 2 { // sums far from zero: every value at one limit
				for i := range src.Data {
					src.Data[i] = -128
				}
			}
			zIn := int32(rng.IntN(256) - 128)
			o := RandomOutput(rng, 1, false)
			os := tensor.Shape{N: s.N, H: 1, W: 1, C: s.C}
			want := tensor.NewInt8(os)
			q8ref.GlobalAvgPool(want, src, zIn, o)
			for _, p := range k.Paths(t) {
				name := fmt.Sprintf("%s/%v/trial%d", p, s, trial)
				got, whole := GuardedTensor(os)
				k.GlobalAvgPool(p, got, src, zIn, o)
				Diff(t, name, got.Data, want.Data)
				CheckGuards(t, name, whole)
			}
		}
	}
}

func PoolsAllocateNothing(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(24, 25))
	s := tensor.Shape{N: 1, H: 9, W: 9, C: 40}
	src := RandomTensor(rng, s)
	g := PoolGeometries[1]
	oh, ow := g.OutSize(s.H, s.W)
	dst := tensor.NewInt8(tensor.Shape{N: 1, H: oh, W: ow, C: s.C})
	gdst := tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: s.C})
	o := RandomOutput(rng, 1, false)
	for _, p := range k.Paths(t) {
		for name, f := range map[string]func(){
			"max":    func() { k.MaxPool(p, dst, src, g) },
			"avg":    func() { k.AvgPool(p, dst, src, g, 3, o) },
			"global": func() { k.GlobalAvgPool(p, gdst, src, 3, o) },
		} {
			if a := testing.AllocsPerRun(5, f); a != 0 {
				t.Errorf("%s %s: %v allocations", name, p, a)
			}
		}
	}
}

func BenchPools(b *testing.B, k Ops) {
	rng := rand.New(rand.NewPCG(26, 27))
	s := tensor.Shape{N: 1, H: 111, W: 111, C: 64} // SqueezeNet 1.1's first max pool
	src := RandomTensor(rng, s)
	g := nn.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
	oh, ow := g.OutSize(s.H, s.W)
	dst := tensor.NewInt8(tensor.Shape{N: 1, H: oh, W: ow, C: s.C})
	gs := tensor.Shape{N: 1, H: 7, W: 7, C: 1280} // EfficientNet-B0's head
	gsrc, gdst := RandomTensor(rng, gs), tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: gs.C})
	o := RandomOutput(rng, 1, false)
	for _, p := range []dispatch.Path{dispatch.Ref, k.Fast} {
		b.Run("max/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				k.MaxPool(p, dst, src, g)
			}
		})
		b.Run("avg/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				k.AvgPool(p, dst, src, g, 5, o)
			}
		})
		b.Run("global/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(gs.Elems()))
			for b.Loop() {
				k.GlobalAvgPool(p, gdst, gsrc, 5, o)
			}
		})
	}
}

func AddMatchesReference(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range EltLengths {
		for trial := range 4 {
			a, b := RandomInt8s(rng, n), RandomInt8s(rng, n)
			zA, zB := int32(rng.IntN(256)-128), int32(rng.IntN(256)-128)
			mA, mB := RandomMultiplier(rng), RandomMultiplier(rng)
			if trial == 0 { // halves: ties between the two roundings
				mA, mB = 0.5, 1.5
			}
			o := RandomOutput(rng, 1, false)
			want := make([]int8, n)
			q8ref.Add(want, a, b, zA, zB, mA, mB, o)
			for _, p := range k.Paths(t) {
				name := fmt.Sprintf("%s/n=%d/trial%d", p, n, trial)
				got, whole := Guarded(n)
				k.Add(p, got, a, b, zA, zB, mA, mB, o)
				Diff(t, name, got, want)
				CheckGuards(t, name, whole)

				inPlace, whole := Guarded(n)
				copy(inPlace, b)
				k.Add(p, inPlace, a, inPlace, zA, zB, mA, mB, o)
				Diff(t, name+"/in place", inPlace, want)
				CheckGuards(t, name+"/in place", whole)
			}
		}
	}
}

func MulChannelsMatchesReference(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, s := range []tensor.Shape{
		{N: 1, H: 1, W: 1, C: 1}, {N: 2, H: 3, W: 2, C: 3}, {N: 1, H: 2, W: 5, C: 15},
		{N: 1, H: 4, W: 4, C: 16}, {N: 2, H: 3, W: 3, C: 17}, {N: 1, H: 5, W: 3, C: 33},
		{N: 1, H: 2, W: 2, C: 40}, {N: 2, H: 7, W: 7, C: 96},
	} {
		for trial := range 3 {
			x := RandomTensor(rng, s)
			gate := RandomTensor(rng, tensor.Shape{N: s.N, H: 1, W: 1, C: s.C})
			zX, zS := int32(rng.IntN(256)-128), int32(rng.IntN(256)-128)
			o := RandomOutput(rng, 1, false)
			want := tensor.NewInt8(s)
			q8ref.MulChannels(want, x, gate, zX, zS, o)
			for _, p := range k.Paths(t) {
				name := fmt.Sprintf("%s/%v/trial%d", p, s, trial)
				got, whole := GuardedTensor(s)
				k.MulChannels(p, got, x, gate, zX, zS, o)
				Diff(t, name, got.Data, want.Data)
				CheckGuards(t, name, whole)

				inPlace, whole := GuardedTensor(s)
				copy(inPlace.Data, x.Data)
				k.MulChannels(p, inPlace, inPlace, gate, zX, zS, o)
				Diff(t, name+"/in place", inPlace.Data, want.Data)
				CheckGuards(t, name+"/in place", whole)
			}
		}
	}
}

func ElementwiseAllocatesNothing(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(12, 13))
	s := tensor.Shape{N: 1, H: 5, W: 5, C: 40}
	x, y := RandomTensor(rng, s), RandomTensor(rng, s)
	gate := RandomTensor(rng, tensor.Shape{N: 1, H: 1, W: 1, C: 40})
	dst := tensor.NewInt8(s)
	o := RandomOutput(rng, 1, false)
	for _, p := range k.Paths(t) {
		if a := testing.AllocsPerRun(5, func() { k.Add(p, dst.Data[:999], x.Data, y.Data, 1, 2, 0.3, 0.7, o) }); a != 0 {
			t.Errorf("add %s: %v allocations", p, a)
		}
		if a := testing.AllocsPerRun(5, func() { k.MulChannels(p, dst, x, gate, 1, 2, o) }); a != 0 {
			t.Errorf("mul %s: %v allocations", p, a)
		}
	}
}

func BenchAdd(b *testing.B, k Ops) {
	rng := rand.New(rand.NewPCG(1, 3))
	n := 56 * 56 * 24
	x, y, dst := RandomInt8s(rng, n), RandomInt8s(rng, n), make([]int8, n)
	o := RandomOutput(rng, 1, false)
	for _, p := range []dispatch.Path{dispatch.Ref, k.Fast} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				k.Add(p, dst, x, y, 3, -5, 0.37, 0.81, o)
			}
		})
	}
}

func BenchMulChannels(b *testing.B, k Ops) {
	rng := rand.New(rand.NewPCG(1, 4))
	s := tensor.Shape{N: 1, H: 28, W: 28, C: 240}
	x, dst := RandomTensor(rng, s), tensor.NewInt8(s)
	gate := RandomTensor(rng, tensor.Shape{N: 1, H: 1, W: 1, C: s.C})
	o := RandomOutput(rng, 1, false)
	for _, p := range []dispatch.Path{dispatch.Ref, k.Fast} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				k.MulChannels(p, dst, x, gate, 3, -128, o)
			}
		})
	}
}

func LookupTableMatchesReference(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range EltLengths {
		table := LUTRandomTable(rng)
		src := RandomInt8s(rng, n)
		if n >= 256 { // every index at least once
			for i := range 256 {
				src[i] = int8(i - 128)
			}
		}
		want := make([]int8, n)
		q8ref.LookupTable(want, src, table)
		for _, p := range k.Paths(t) {
			name := fmt.Sprintf("%s/n=%d", p, n)
			got, whole := Guarded(n)
			k.LookupTable(p, got, src, table)
			Diff(t, name, got, want)
			CheckGuards(t, name, whole)

			inPlace, whole := Guarded(n)
			copy(inPlace, src)
			k.LookupTable(p, inPlace, inPlace, table)
			Diff(t, name+"/in place", inPlace, want)
			CheckGuards(t, name+"/in place", whole)
		}
	}
}

func LookupTableAllocatesNothing(t *testing.T, k Ops) {
	rng := rand.New(rand.NewPCG(4, 5))
	table, src := LUTRandomTable(rng), RandomInt8s(rng, 1000)
	dst := make([]int8, len(src))
	for _, p := range k.Paths(t) {
		if a := testing.AllocsPerRun(5, func() { k.LookupTable(p, dst, src, table) }); a != 0 {
			t.Errorf("%s: %v allocations", p, a)
		}
	}
}

func BenchLookupTable(b *testing.B, k Ops) {
	rng := rand.New(rand.NewPCG(4, 6))
	table, src := LUTRandomTable(rng), RandomInt8s(rng, 112*112*32)
	dst := make([]int8, len(src))
	for _, p := range []dispatch.Path{dispatch.Ref, k.Fast} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				k.LookupTable(p, dst, src, table)
			}
		})
	}
}
