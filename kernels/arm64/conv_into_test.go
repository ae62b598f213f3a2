package arm64

import (
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

// TestConvRunRangeIntoWritesAConcatenation runs a Fire module's two expand
// convolutions (1x1 and 3x3 pad 1 over the same input) straight into the
// channels of their concatenation, in uneven ranges: the result must be
// the reference convolutions followed by q8.Concat, and the bytes around
// the tensor untouched.
func TestConvRunRangeIntoWritesAConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, path := range convPaths(t) {
		if path == Ref {
			continue
		}
		for _, in := range []tensor.Shape{kerneltest.Shape(1, 7, 9, 16), kerneltest.Shape(1, 5, 6, 19), kerneltest.Shape(2, 3, 4, 8)} {
			a := newConvFixture(rng, convCase{in, 17, 1, 1, 1, 0, 1})
			b := newConvFixture(rng, convCase{in, 24, 3, 3, 1, 1, 1})
			b.src, b.inZero = a.src, a.inZero
			wantA, wantB := a.want(), b.want()
			cat := kerneltest.Shape(in.N, in.H, in.W, a.c.cout+b.c.cout)
			want := tensor.NewInt8(cat)
			q8.Concat(want, []*tensor.Int8{wantA, wantB})

			got, whole := kerneltest.ConvGuarded(cat)
			ca, err := NewConv(path, a.w, a.bias, a.c.geometry(), in, a.out, a.inZero, a.o)
			if err != nil {
				t.Fatal(err)
			}
			cb, err := NewConv(path, b.w, b.bias, b.c.geometry(), in, b.out, b.inZero, b.o)
			if err != nil {
				t.Fatal(err)
			}
			n := ca.Pixels()
			cut := rng.IntN(n + 1)
			ca.RunRangeInto(got.Data, cat.C, 0, a.src, 0, cut)
			ca.RunRangeInto(got.Data, cat.C, 0, a.src, cut, n)
			cb.RunRangeInto(got.Data, cat.C, a.c.cout, b.src, 0, n)
			what := path.String() + " " + in.String()
			kerneltest.ConvCheckGuards(t, what, whole)
			kerneltest.ConvCompare(t, what, got.Data, want.Data)
		}
	}
}

func TestConvRunRangeIntoRejectsOutputsThatDoNotFit(t *testing.T) {
	for _, path := range convPaths(t) {
		if path == Ref {
			continue
		}
		f := newConvFixture(rand.New(rand.NewPCG(1, 2)), convCase{kerneltest.Shape(1, 2, 2, 4), 8, 1, 1, 1, 0, 1})
		c, err := NewConv(path, f.w, f.bias, f.c.geometry(), f.c.in, f.out, f.inZero, f.o)
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: an offset that overflows the stride was accepted", path)
				}
			}()
			c.RunRangeInto(make([]int8, 4*12), 12, 5, f.src, 0, 4)
		}()
	}
}
