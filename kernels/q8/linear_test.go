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

func TestLinearMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	paths := testPaths(t)
	for _, c := range []struct{ n, in, out int }{
		{1, 1, 1}, {1, 16, 8}, {3, 15, 7}, {2, 17, 9}, {1, 100, 33}, {4, 64, 16}, {5, 33, 17}, {1, 1280, 10},
		// Deep rows: the AVX2 path packs up to 4096 channels into its panel
		// and reads deeper ones in place.
		{7, 4096, 17}, {2, 4097, 3}, {1, 5001, 20},
	} {
		in, out := kerneltest.Shape(c.n, 1, 1, c.in), kerneltest.Shape(c.n, 1, 1, c.out)
		w := kerneltest.ConvRandomInt8s(rng, c.in*c.out, -127, 127)
		bias := make([]int32, c.out)
		for i := range bias {
			bias[i] = int32(rng.IntN(40001) - 20000)
		}
		o := kerneltest.ConvRandomOutput(rng, c.out, c.in)
		src := &tensor.Int8{Shape: in, Data: kerneltest.ConvRandomInt8s(rng, in.Elems(), -128, 127)}
		want := tensor.NewInt8(out)
		q8ref.Linear(want, src, w, bias, o)
		for _, p := range paths {
			what := fmt.Sprintf("%v linear %dx%d->%d", p, c.n, c.in, c.out)
			l, err := q8.NewLinear(p.k, w, bias, in, out, o)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst, whole := kerneltest.ConvGuarded(out)
			l.Run(dst, src)
			kerneltest.ConvCompare(t, what, dst.Data, want.Data)
			kerneltest.ConvCheckGuards(t, what, whole)
			if n := testing.AllocsPerRun(3, func() { l.Run(dst, src) }); n != 0 {
				t.Errorf("%s: Run allocates %v times", what, n)
			}
		}
	}
	for _, p := range paths {
		if _, err := q8.NewLinear(p.k, make([]int8, 6), make([]int32, 2), kerneltest.Shape(1, 2, 1, 3), kerneltest.Shape(1, 1, 1, 2), q8ref.Output{Multipliers: []float32{1}, Lo: -128, Hi: 127}); err == nil {
			t.Errorf("%v: NewLinear accepted a [1,2,1,3] input", p)
		}
	}
}

// BenchmarkLinear is EfficientNet-B0's classifier.
func BenchmarkLinear(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 3))
	in, out := kerneltest.Shape(1, 1, 1, 1280), kerneltest.Shape(1, 1, 1, 1000)
	w := kerneltest.ConvRandomInt8s(rng, in.C*out.C, -127, 127)
	src := &tensor.Int8{Shape: in, Data: kerneltest.ConvRandomInt8s(rng, in.C, -128, 127)}
	o := kerneltest.ConvRandomOutput(rng, out.C, in.C)
	for _, p := range benchPaths(b) {
		l, err := q8.NewLinear(p.k, w, make([]int32, out.C), in, out, o)
		if err != nil {
			b.Fatal(err)
		}
		dst := tensor.NewInt8(out)
		b.Run(p.String(), func(b *testing.B) {
			for b.Loop() {
				l.Run(dst, src)
			}
		})
	}
}
