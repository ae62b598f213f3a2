package amd64

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

var poolShapes = []tensor.Shape{
	{N: 1, H: 5, W: 5, C: 1}, {N: 2, H: 6, W: 7, C: 3}, {N: 1, H: 7, W: 9, C: 15},
	{N: 1, H: 4, W: 4, C: 16}, {N: 2, H: 5, W: 6, C: 17}, {N: 1, H: 9, W: 8, C: 33},
	{N: 1, H: 13, W: 13, C: 96}, {N: 1, H: 3, W: 2, C: 40},
}

var poolGeometries = []kernels.PoolGeometry{
	{KH: 3, KW: 3, StrideH: 2, StrideW: 2},
	{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}, // SqueezeNet
	{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CountIncludePad: true},
	{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{KH: 2, KW: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, CeilMode: true, CountIncludePad: true},
	{KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{KH: 5, KW: 5, StrideH: 3, StrideW: 3, PadH: 2, PadW: 2, CeilMode: true},
}

func TestPoolsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20, 21))
	for si, s := range poolShapes {
		src := dwRandomTensor(rng, s)
		if si%2 == 1 { // mostly -128: whole windows at the minimum
			for i := range src.Data {
				src.Data[i] = int8(-128 + rng.IntN(10)/9)
			}
		}
		for gi, g := range poolGeometries {
			oh, ow := g.OutSize(s.H, s.W)
			if oh < 1 || ow < 1 {
				continue
			}
			os := tensor.Shape{N: s.N, H: oh, W: ow, C: s.C}
			zIn := int32(rng.IntN(256) - 128)
			o := dwRandomOutput(rng, 1, false)
			wantMax, wantAvg := tensor.NewInt8(os), tensor.NewInt8(os)
			q8.MaxPool(wantMax, src, g)
			q8.AvgPool(wantAvg, src, g, zIn, o)
			for _, p := range dwTestPaths(t) {
				name := fmt.Sprintf("%s/%v/geometry%d", p, s, gi)
				got, whole := dwGuardedTensor(os)
				MaxPool(p, got, src, g)
				dwDiff(t, "max "+name, got.Data, wantMax.Data)
				dwCheckGuards(t, "max "+name, whole)

				got, whole = dwGuardedTensor(os)
				AvgPool(p, got, src, g, zIn, o)
				dwDiff(t, "avg "+name, got.Data, wantAvg.Data)
				dwCheckGuards(t, "avg "+name, whole)
			}
		}
	}
}

func TestGlobalAvgPoolMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(22, 23))
	shapes := append(poolShapes, tensor.Shape{N: 1, H: 7, W: 7, C: 1280}, tensor.Shape{N: 1, H: 1, W: 1, C: 20})
	for _, s := range shapes {
		for trial := range 3 {
			src := dwRandomTensor(rng, s)
			if trial == 2 { // sums far from zero: every value at one limit
				for i := range src.Data {
					src.Data[i] = -128
				}
			}
			zIn := int32(rng.IntN(256) - 128)
			o := dwRandomOutput(rng, 1, false)
			os := tensor.Shape{N: s.N, H: 1, W: 1, C: s.C}
			want := tensor.NewInt8(os)
			q8.GlobalAvgPool(want, src, zIn, o)
			for _, p := range dwTestPaths(t) {
				name := fmt.Sprintf("%s/%v/trial%d", p, s, trial)
				got, whole := dwGuardedTensor(os)
				GlobalAvgPool(p, got, src, zIn, o)
				dwDiff(t, name, got.Data, want.Data)
				dwCheckGuards(t, name, whole)
			}
		}
	}
}

func TestPoolsAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(24, 25))
	s := tensor.Shape{N: 1, H: 9, W: 9, C: 40}
	src := dwRandomTensor(rng, s)
	g := poolGeometries[1]
	oh, ow := g.OutSize(s.H, s.W)
	dst := tensor.NewInt8(tensor.Shape{N: 1, H: oh, W: ow, C: s.C})
	gdst := tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: s.C})
	o := dwRandomOutput(rng, 1, false)
	for _, p := range dwTestPaths(t) {
		for name, f := range map[string]func(){
			"max":    func() { MaxPool(p, dst, src, g) },
			"avg":    func() { AvgPool(p, dst, src, g, 3, o) },
			"global": func() { GlobalAvgPool(p, gdst, src, 3, o) },
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
	src := dwRandomTensor(rng, s)
	g := kernels.PoolGeometry{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}
	oh, ow := g.OutSize(s.H, s.W)
	dst := tensor.NewInt8(tensor.Shape{N: 1, H: oh, W: ow, C: s.C})
	gs := tensor.Shape{N: 1, H: 7, W: 7, C: 1280} // EfficientNet-B0's head
	gsrc, gdst := dwRandomTensor(rng, gs), tensor.NewInt8(tensor.Shape{N: 1, H: 1, W: 1, C: gs.C})
	o := dwRandomOutput(rng, 1, false)
	for _, p := range []Path{Ref, AVX2} {
		b.Run("max/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				MaxPool(p, dst, src, g)
			}
		})
		b.Run("avg/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				AvgPool(p, dst, src, g, 5, o)
			}
		})
		b.Run("global/"+p.String(), func(b *testing.B) {
			b.SetBytes(int64(gs.Elems()))
			for b.Loop() {
				GlobalAvgPool(p, gdst, gsrc, 5, o)
			}
		})
	}
}
