package amd64

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

func TestAddMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	for _, n := range eltLengths {
		for trial := range 4 {
			a, b := dwRandomInt8s(rng, n), dwRandomInt8s(rng, n)
			zA, zB := int32(rng.IntN(256)-128), int32(rng.IntN(256)-128)
			mA, mB := dwRandomMultiplier(rng), dwRandomMultiplier(rng)
			if trial == 0 { // halves: ties between the two roundings
				mA, mB = 0.5, 1.5
			}
			o := dwRandomOutput(rng, 1, false)
			want := make([]int8, n)
			q8.Add(want, a, b, zA, zB, mA, mB, o)
			for _, p := range dwTestPaths(t) {
				name := fmt.Sprintf("%s/n=%d/trial%d", p, n, trial)
				got, whole := dwGuarded(n)
				Add(p, got, a, b, zA, zB, mA, mB, o)
				dwDiff(t, name, got, want)
				dwCheckGuards(t, name, whole)

				inPlace, whole := dwGuarded(n)
				copy(inPlace, b)
				Add(p, inPlace, a, inPlace, zA, zB, mA, mB, o)
				dwDiff(t, name+"/in place", inPlace, want)
				dwCheckGuards(t, name+"/in place", whole)
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
			x := dwRandomTensor(rng, s)
			gate := dwRandomTensor(rng, tensor.Shape{N: s.N, H: 1, W: 1, C: s.C})
			zX, zS := int32(rng.IntN(256)-128), int32(rng.IntN(256)-128)
			o := dwRandomOutput(rng, 1, false)
			want := tensor.NewInt8(s)
			q8.MulChannels(want, x, gate, zX, zS, o)
			for _, p := range dwTestPaths(t) {
				name := fmt.Sprintf("%s/%v/trial%d", p, s, trial)
				got, whole := dwGuardedTensor(s)
				MulChannels(p, got, x, gate, zX, zS, o)
				dwDiff(t, name, got.Data, want.Data)
				dwCheckGuards(t, name, whole)

				inPlace, whole := dwGuardedTensor(s)
				copy(inPlace.Data, x.Data)
				MulChannels(p, inPlace, inPlace, gate, zX, zS, o)
				dwDiff(t, name+"/in place", inPlace.Data, want.Data)
				dwCheckGuards(t, name+"/in place", whole)
			}
		}
	}
}

func TestElementwiseAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	s := tensor.Shape{N: 1, H: 5, W: 5, C: 40}
	x, y := dwRandomTensor(rng, s), dwRandomTensor(rng, s)
	gate := dwRandomTensor(rng, tensor.Shape{N: 1, H: 1, W: 1, C: 40})
	dst := tensor.NewInt8(s)
	o := dwRandomOutput(rng, 1, false)
	for _, p := range dwTestPaths(t) {
		if a := testing.AllocsPerRun(5, func() { Add(p, dst.Data[:999], x.Data, y.Data, 1, 2, 0.3, 0.7, o) }); a != 0 {
			t.Errorf("add %s: %v allocations", p, a)
		}
		if a := testing.AllocsPerRun(5, func() { MulChannels(p, dst, x, gate, 1, 2, o) }); a != 0 {
			t.Errorf("mul %s: %v allocations", p, a)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 3))
	n := 56 * 56 * 24
	x, y, dst := dwRandomInt8s(rng, n), dwRandomInt8s(rng, n), make([]int8, n)
	o := dwRandomOutput(rng, 1, false)
	for _, p := range []Path{Ref, AVX2} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(n))
			for b.Loop() {
				Add(p, dst, x, y, 3, -5, 0.37, 0.81, o)
			}
		})
	}
}

func BenchmarkMulChannels(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 4))
	s := tensor.Shape{N: 1, H: 28, W: 28, C: 240}
	x, dst := dwRandomTensor(rng, s), tensor.NewInt8(s)
	gate := dwRandomTensor(rng, tensor.Shape{N: 1, H: 1, W: 1, C: s.C})
	o := dwRandomOutput(rng, 1, false)
	for _, p := range []Path{Ref, AVX2} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(s.Elems()))
			for b.Loop() {
				MulChannels(p, dst, x, gate, 3, -128, o)
			}
		})
	}
}
