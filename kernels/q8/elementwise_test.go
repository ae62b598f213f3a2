package q8_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/tensor"
)

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
