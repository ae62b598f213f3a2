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
				got, whole := kerneltest.GuardedTensor(os)
				q8.MaxPool(p.k, got, src, g)
				kerneltest.Diff(t, "max "+name, got.Data, wantMax.Data)
				kerneltest.CheckGuards(t, "max "+name, whole)

				got, whole = kerneltest.GuardedTensor(os)
				q8.AvgPool(p.k, got, src, g, zIn, o)
				kerneltest.Diff(t, "avg "+name, got.Data, wantAvg.Data)
				kerneltest.CheckGuards(t, "avg "+name, whole)
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
				got, whole := kerneltest.GuardedTensor(os)
				q8.GlobalAvgPool(p.k, got, src, zIn, o)
				kerneltest.Diff(t, name, got.Data, want.Data)
				kerneltest.CheckGuards(t, name, whole)
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
