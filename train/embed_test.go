package train

import (
	"math/rand/v2"
	"slices"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/qnet"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// A feature map rebuilt from its channel sums pools to the same int8
// embedding as the map itself, on the firmware's kernel path: the raw
// features keep everything the pool reads.
func TestPoolingChannelSumsIsExact(t *testing.T) {
	shape := tensor.Shape{N: 1, H: 13, W: 13, C: 24}
	features := quant.Params{Scale: 0.37, Zero: -128}
	m := inputModel("features", qnet.Tensor{Shape: shape, Params: features})
	b := &Backbone{Model: m, Cut: m}
	path, err := dispatch.Select()
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(7, 7))
	raw := &rawSet{dim: shape.C, per: 1}
	var maps [][]int8
	for r := range 40 {
		fm := make([]int8, shape.Elems())
		hi := 1 + rng.IntN(256) // from nearly constant maps to full-range ones
		for i := range fm {
			fm[i] = int8(rng.IntN(hi) - 128)
			if r%2 == 1 && i%3 == 0 {
				fm[i] = 127
			}
		}
		sums := make([]int32, shape.C)
		for i, v := range fm {
			sums[i%shape.C] += int32(v)
		}
		maps = append(maps, fm)
		raw.sums = append(raw.sums, sums...)
		raw.class = append(raw.class, 0)
	}
	params := poolParams(raw, shape.H*shape.W, features)
	pools, err := poolPrograms(b, params, path, 2)
	if err != nil {
		t.Fatal(err)
	}
	e := pool(raw, params, pools)
	direct := pools[0]
	for r, fm := range maps {
		copy(direct.Input().Data, fm)
		direct.Run()
		if got, want := e.q[r*shape.C:][:shape.C], direct.Value(direct.Model().Output).Data; !slices.Equal(got, want) {
			t.Fatalf("map %d: pooled from its sums %v, from the map %v", r, got, want)
		}
	}
}
