package amd64

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/q8"
)

var eltLengths = []int{0, 1, 15, 16, 17, 31, 48, 63, 64, 65, 79, 127, 128, 200, 1027}

func lutRandomTable(rng *rand.Rand) *[256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = int8(rng.IntN(256))
	}
	return &t
}

func TestLookupTableMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, n := range eltLengths {
		table := lutRandomTable(rng)
		src := dwRandomInt8s(rng, n)
		if n >= 256 { // every index at least once
			for i := range 256 {
				src[i] = int8(i - 128)
			}
		}
		want := make([]int8, n)
		q8.LookupTable(want, src, table)
		for _, p := range dwTestPaths(t) {
			name := fmt.Sprintf("%s/n=%d", p, n)
			got, whole := dwGuarded(n)
			LookupTable(p, got, src, table)
			dwDiff(t, name, got, want)
			dwCheckGuards(t, name, whole)

			inPlace, whole := dwGuarded(n)
			copy(inPlace, src)
			LookupTable(p, inPlace, inPlace, table)
			dwDiff(t, name+"/in place", inPlace, want)
			dwCheckGuards(t, name+"/in place", whole)
		}
	}
}

func TestLookupTableAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 5))
	table, src := lutRandomTable(rng), dwRandomInt8s(rng, 1000)
	dst := make([]int8, len(src))
	for _, p := range dwTestPaths(t) {
		if a := testing.AllocsPerRun(5, func() { LookupTable(p, dst, src, table) }); a != 0 {
			t.Errorf("%s: %v allocations", p, a)
		}
	}
}

func BenchmarkLookupTable(b *testing.B) {
	rng := rand.New(rand.NewPCG(4, 6))
	table, src := lutRandomTable(rng), dwRandomInt8s(rng, 112*112*32)
	dst := make([]int8, len(src))
	for _, p := range []Path{Ref, AVX2} {
		b.Run(p.String(), func(b *testing.B) {
			b.SetBytes(int64(len(src)))
			for b.Loop() {
				LookupTable(p, dst, src, table)
			}
		})
	}
}
