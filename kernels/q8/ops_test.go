package q8_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

func TestPoolsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for si, s := range kerneltest.PoolShapes {
		src := kerneltest.RandomTensor(rng, s)
		if si%2 == 1 { // mostly -128: whole windows at the minimum
			for i := range src.Data {
				src.Data[i] = int8(-128 + rng.IntN(10)/9)
			}
		}
		for gi, g := range kerneltest.PoolGeometries {
			oh, ow := g.OutSize(s.H, s.W)
			if oh < 1 || ow < 1 {
				continue
			}
			os := tensor.Shape{N: s.N, H: oh, W: ow, C: s.C}
			zIn := int32(rng.IntN(256) - 128)
			o := kerneltest.RandomOutput(rng, 1, false)
			wantMax, wantAvg := tensor.NewInt8(os), tensor.NewInt8(os)
			q8ref.MaxPool(wantMax, src, g)
			q8ref.AvgPool(wantAvg, src, g, zIn, o)
			for _, p := range testPaths(t) {
				name := fmt.Sprintf("%s/%v/geometry%d", p, s, gi)
				checkRun(t, "max "+name, func(dst, src *tensor.Int8) { q8.MaxPool(p.k, dst, src, g) }, src, wantMax)
				checkRun(t, "avg "+name, func(dst, src *tensor.Int8) { q8.AvgPool(p.k, dst, src, g, zIn, o) }, src, wantAvg)
			}
		}
	}
}

func TestGlobalAvgPoolMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	shapes := append(kerneltest.PoolShapes, tensor.Shape{N: 1, H: 7, W: 7, C: 1280}, tensor.Shape{N: 1, H: 1, W: 1, C: 20})
	for _, s := range shapes {
		for trial := range 3 {
			src := kerneltest.RandomTensor(rng, s)
			if trial == 2 { // sums far from zero: every value at one limit
				for i := range src.Data {
					src.Data[i] = -128
				}
			}
			zIn := int32(rng.IntN(256) - 128)
			o := kerneltest.RandomOutput(rng, 1, false)
			os := tensor.Shape{N: s.N, H: 1, W: 1, C: s.C}
			want := tensor.NewInt8(os)
			q8ref.GlobalAvgPool(want, src, zIn, o)
			for _, p := range testPaths(t) {
				name := fmt.Sprintf("%s/%v/trial%d", p, s, trial)
				checkRun(t, name, func(dst, src *tensor.Int8) { q8.GlobalAvgPool(p.k, dst, src, zIn, o) }, src, want)
			}
		}
	}
}

func TestPoolsAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	s := tensor.Shape{N: 1, H: 9, W: 9, C: 40}
	src := kerneltest.RandomTensor(rng, s)
	g := kerneltest.PoolGeometries[1]
	oh, ow := g.OutSize(s.H, s.W)
	dst := tensor.NewInt8(tensor.Shape{N: 1, H: oh, W: ow, C: s.C})
	gdst := tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: s.C})
	o := kerneltest.RandomOutput(rng, 1, false)
	for _, p := range testPaths(t) {
		for name, f := range map[string]func(){
			"max":    func() { q8.MaxPool(p.k, dst, src, g) },
			"avg":    func() { q8.AvgPool(p.k, dst, src, g, 3, o) },
			"global": func() { q8.GlobalAvgPool(p.k, gdst, src, 3, o) },
		} {
			if a := testing.AllocsPerRun(5, f); a != 0 {
				t.Errorf("%s %s: %v allocations", name, p, a)
			}
		}
	}
}

func BenchmarkPools(b *testing.B) {
	rng := rand.New(rand.NewPCG(26, 27))
	s := tensor.Shape{N: 1, H: 111, W: 111, C: 64} // SqueezeNet 1.1's first max pool
	src := kerneltest.RandomTensor(rng, s)
	g := nn.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
	oh, ow := g.OutSize(s.H, s.W)
	dst := tensor.NewInt8(tensor.Shape{N: 1, H: oh, W: ow, C: s.C})
	gs := tensor.Shape{N: 1, H: 7, W: 7, C: 1280} // EfficientNet-B0's head
	gsrc, gdst := kerneltest.RandomTensor(rng, gs), tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: gs.C})
	o := kerneltest.RandomOutput(rng, 1, false)
	for _, p := range benchPaths(b) {
		b.Run("max/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				q8.MaxPool(p.k, dst, src, g)
			}
		})
		b.Run("avg/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				q8.AvgPool(p.k, dst, src, g, 5, o)
			}
		})
		b.Run("global/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(gs.Elems()))
			for b.Loop() {
				q8.GlobalAvgPool(p.k, gdst, gsrc, 5, o)
			}
		})
	}
}

func TestAddMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range kerneltest.EltLengths {
		for trial := range 4 {
			a, b := kerneltest.RandomInt8s(rng, n), kerneltest.RandomInt8s(rng, n)
			zA, zB := int32(rng.IntN(256)-128), int32(rng.IntN(256)-128)
			mA, mB := kerneltest.RandomMultiplier(rng), kerneltest.RandomMultiplier(rng)
			if trial == 0 { // halves: ties between the two roundings
				mA, mB = 0.5, 1.5
			}
			o := kerneltest.RandomOutput(rng, 1, false)
			want := make([]int8, n)
			q8ref.Add(want, a, b, zA, zB, mA, mB, o)
			for _, p := range testPaths(t) {
				name := fmt.Sprintf("%s/n=%d/trial%d", p, n, trial)
				got, whole := kerneltest.Guarded(n)
				q8.Add(p.k, got, a, b, zA, zB, mA, mB, o)
				kerneltest.Diff(t, name, got, want)
				kerneltest.CheckGuards(t, name, whole)

				inPlace, whole := kerneltest.Guarded(n)
				copy(inPlace, b)
				q8.Add(p.k, inPlace, a, inPlace, zA, zB, mA, mB, o)
				kerneltest.Diff(t, name+"/in place", inPlace, want)
				kerneltest.CheckGuards(t, name+"/in place", whole)
			}
		}
	}
}

func TestMulChannelsMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	for _, s := range []tensor.Shape{
		{N: 1, H: 1, W: 1, C: 1}, {N: 2, H: 3, W: 2, C: 3}, {N: 1, H: 2, W: 5, C: 15},
		{N: 1, H: 4, W: 4, C: 16}, {N: 2, H: 3, W: 3, C: 17}, {N: 1, H: 5, W: 3, C: 33},
		{N: 1, H: 2, W: 2, C: 40}, {N: 2, H: 7, W: 7, C: 96},
	} {
		for trial := range 3 {
			x := kerneltest.RandomTensor(rng, s)
			gate := kerneltest.RandomTensor(rng, tensor.Shape{N: s.N, H: 1, W: 1, C: s.C})
			zX, zS := int32(rng.IntN(256)-128), int32(rng.IntN(256)-128)
			o := kerneltest.RandomOutput(rng, 1, false)
			want := tensor.NewInt8(s)
			q8ref.MulChannels(want, x, gate, zX, zS, o)
			for _, p := range testPaths(t) {
				name := fmt.Sprintf("%s/%v/trial%d", p, s, trial)
				got, whole := kerneltest.GuardedTensor(s)
				q8.MulChannels(p.k, got, x, gate, zX, zS, o)
				kerneltest.Diff(t, name, got.Data, want.Data)
				kerneltest.CheckGuards(t, name, whole)

				inPlace, whole := kerneltest.GuardedTensor(s)
				copy(inPlace.Data, x.Data)
				q8.MulChannels(p.k, inPlace, inPlace, gate, zX, zS, o)
				kerneltest.Diff(t, name+"/in place", inPlace.Data, want.Data)
				kerneltest.CheckGuards(t, name+"/in place", whole)
			}
		}
	}
}

func TestElementwiseAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	s := tensor.Shape{N: 1, H: 5, W: 5, C: 40}
	x, y := kerneltest.RandomTensor(rng, s), kerneltest.RandomTensor(rng, s)
	gate := kerneltest.RandomTensor(rng, tensor.Shape{N: 1, H: 1, W: 1, C: 40})
	dst := tensor.NewInt8(s)
	o := kerneltest.RandomOutput(rng, 1, false)
	for _, p := range testPaths(t) {
		if a := testing.AllocsPerRun(5, func() { q8.Add(p.k, dst.Data[:999], x.Data, y.Data, 1, 2, 0.3, 0.7, o) }); a != 0 {
			t.Errorf("add %s: %v allocations", p, a)
		}
		if a := testing.AllocsPerRun(5, func() { q8.MulChannels(p.k, dst, x, gate, 1, 2, o) }); a != 0 {
			t.Errorf("mul %s: %v allocations", p, a)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 3))
	n := 56 * 56 * 24
	x, y, dst := kerneltest.RandomInt8s(rng, n), kerneltest.RandomInt8s(rng, n), make([]int8, n)
	o := kerneltest.RandomOutput(rng, 1, false)
	for _, p := range benchPaths(b) {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				q8.Add(p.k, dst, x, y, 3, -5, 0.37, 0.81, o)
			}
		})
	}
}

func BenchmarkMulChannels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 4))
	s := tensor.Shape{N: 1, H: 28, W: 28, C: 240}
	x, dst := kerneltest.RandomTensor(rng, s), tensor.NewInt8(s)
	gate := kerneltest.RandomTensor(rng, tensor.Shape{N: 1, H: 1, W: 1, C: s.C})
	o := kerneltest.RandomOutput(rng, 1, false)
	for _, p := range benchPaths(b) {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				q8.MulChannels(p.k, dst, x, gate, 3, -128, o)
			}
		})
	}
}

func TestLookupTableMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range kerneltest.EltLengths {
		table := kerneltest.LUTRandomTable(rng)
		src := kerneltest.RandomInt8s(rng, n)
		if n >= 256 { // every index at least once
			for i := range 256 {
				src[i] = int8(i - 128)
			}
		}
		want := make([]int8, n)
		q8ref.LookupTable(want, src, table)
		for _, p := range testPaths(t) {
			name := fmt.Sprintf("%s/n=%d", p, n)
			got, whole := kerneltest.Guarded(n)
			q8.LookupTable(p.k, got, src, table)
			kerneltest.Diff(t, name, got, want)
			kerneltest.CheckGuards(t, name, whole)

			inPlace, whole := kerneltest.Guarded(n)
			copy(inPlace, src)
			q8.LookupTable(p.k, inPlace, inPlace, table)
			kerneltest.Diff(t, name+"/in place", inPlace, want)
			kerneltest.CheckGuards(t, name+"/in place", whole)
		}
	}
}

func TestLookupTableAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	table, src := kerneltest.LUTRandomTable(rng), kerneltest.RandomInt8s(rng, 1000)
	dst := make([]int8, len(src))
	for _, p := range testPaths(t) {
		if a := testing.AllocsPerRun(5, func() { q8.LookupTable(p.k, dst, src, table) }); a != 0 {
			t.Errorf("%s: %v allocations", p, a)
		}
	}
}

func BenchmarkLookupTable(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 6))
	table, src := kerneltest.LUTRandomTable(rng), kerneltest.RandomInt8s(rng, 112*112*32)
	dst := make([]int8, len(src))
	for _, p := range benchPaths(b) {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				q8.LookupTable(p.k, dst, src, table)
			}
		})
	}
}
