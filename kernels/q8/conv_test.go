package q8_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// convCases leave channel tails (Cin not a multiple of the GEMM's K
// step, 16 on the NEON paths, 4 on AVX2), column tails (Cout not a
// multiple of 8 or 16) and row tails (pixels not a multiple of 2, 4 or
// 6); the test adds random geometries.
var convCases = []kerneltest.ConvCase{
	kerneltest.NewConvCase(kerneltest.Shape(1, 5, 7, 16), 16, 1, 1, 1, 0, 1),  // whole chunks and tiles
	kerneltest.NewConvCase(kerneltest.Shape(1, 3, 5, 1), 1, 1, 1, 1, 0, 1),    // one channel in, one out
	kerneltest.NewConvCase(kerneltest.Shape(1, 4, 3, 17), 33, 1, 1, 1, 0, 1),  // tail of 1 channel; Cout 33
	kerneltest.NewConvCase(kerneltest.Shape(2, 3, 3, 31), 3, 1, 1, 1, 0, 1),   // tail of 15 (8+4+2+1) or 3 (2+1)
	kerneltest.NewConvCase(kerneltest.Shape(1, 7, 5, 6), 9, 1, 1, 2, 0, 1),    // 1x1 stride 2, tail 4+2 or 2
	kerneltest.NewConvCase(kerneltest.Shape(1, 6, 6, 64), 24, 1, 1, 1, 0, 1),  // several chunks
	kerneltest.NewConvCase(kerneltest.Shape(1, 5, 7, 5), 17, 3, 3, 1, 1, 1),   // 3x3 pad 1, tail 4+1
	kerneltest.NewConvCase(kerneltest.Shape(1, 9, 7, 24), 40, 3, 3, 2, 1, 1),  // 3x3 stride 2, tail 8
	kerneltest.NewConvCase(kerneltest.Shape(1, 8, 9, 3), 3, 5, 5, 1, 2, 1),    // 5x5, Cin 3
	kerneltest.NewConvCase(kerneltest.Shape(1, 13, 11, 3), 24, 7, 7, 2, 3, 1), // 7x7 stride 2: a first layer
	kerneltest.NewConvCase(kerneltest.Shape(1, 9, 9, 19), 9, 3, 3, 1, 2, 2),   // dilation 2
	kerneltest.NewConvCase(kerneltest.Shape(2, 5, 4, 12), 7, 3, 1, 1, 1, 1),   // 3x1, batch 2
	kerneltest.NewConvCase(kerneltest.Shape(1, 3, 3, 2), 5, 5, 5, 1, 1, 1),    // window larger than the padded input
	kerneltest.NewConvCase(kerneltest.Shape(1, 4, 4, 33), 1, 3, 3, 1, 0, 1),   // Cout 1, no padding: row taps
	kerneltest.NewConvCase(kerneltest.Shape(1, 9, 9, 3), 16, 3, 3, 2, 0, 1),   // row taps of 9 channels
	kerneltest.NewConvCase(kerneltest.Shape(1, 2, 2, 4), 3, 5, 5, 1, 0, 1),    // no output pixels
	kerneltest.NewConvCase(kerneltest.Shape(1, 5, 6, 96), 17, 3, 3, 1, 1, 1),  // 96 channels: 24 chunks of 4 per pixel tap
	kerneltest.NewConvCase(kerneltest.Shape(1, 6, 7, 95), 8, 1, 1, 1, 0, 1),   // 95 channels, one full column tile
}

func TestConvRejectsBadArguments(t *testing.T) {
	in, out := kerneltest.Shape(1, 4, 4, 8), kerneltest.Shape(1, 4, 4, 8)
	g := nn.ConvGeometry{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1}
	w, bias := make([]int8, 9*8*8), make([]int32, 8)
	o := q8ref.Output{Multipliers: []float32{0.01}, Lo: -128, Hi: 127}
	for _, p := range testPaths(t) {
		if _, err := q8.NewConv(p.k, w, bias, g, in, out, 0, o); err != nil {
			t.Fatalf("%v: valid layer rejected: %v", p, err)
		}
		grouped := g
		grouped.Groups = 2
		checkRejects(t, p, []badCall{
			{"groups", func() error { _, err := q8.NewConv(p.k, w[:len(w)/2], bias, grouped, in, out, 0, o); return err }},
			{"output shape", func() error {
				_, err := q8.NewConv(p.k, w, bias, g, in, kerneltest.Shape(1, 3, 4, 8), 0, o)
				return err
			}},
			{"weights", func() error { _, err := q8.NewConv(p.k, w[1:], bias, g, in, out, 0, o); return err }},
			{"multipliers", func() error {
				_, err := q8.NewConv(p.k, w, bias, g, in, out, 0, q8ref.Output{Multipliers: []float32{1, 2}, Lo: -128, Hi: 127})
				return err
			}},
			{"bounds", func() error {
				_, err := q8.NewConv(p.k, w, bias, g, in, out, 0, q8ref.Output{Multipliers: []float32{1}, Lo: 5, Hi: 4})
				return err
			}},
			{"output zero", func() error {
				_, err := q8.NewConv(p.k, w, bias, g, in, out, 0, q8ref.Output{Multipliers: []float32{1}, Zero: 200, Lo: -128, Hi: 127})
				return err
			}},
		})
	}
}

// TestConvSpecialMultipliers requantizes with multipliers that send the
// product past the int32 range, to infinity, to NaN (0 * Inf and NaN
// itself: Requantize rounds NaN to 0) and to exactly the clamp bounds,
// with biases at the int32 limits, so that every branch of Requantize's
// saturation meets the kernels' float clamp.
func TestConvSpecialMultipliers(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	in, cout := kerneltest.Shape(1, 3, 5, 7), 24
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	mult := []float32{1e30, -1e30, inf, -inf, nan, 0, 1, -1, 1e-30, 3e9, 0.5, 2.5,
		1, 1, 1, 1, inf, -inf, 1, -1, 1, 1, 1e10, -1e10}
	bias := make([]int32, cout)
	for o := range bias {
		bias[o] = []int32{math.MaxInt32 - 20000, math.MinInt32 + 20000, 0, 127, -128, 255, -300}[o%7]
	}
	w := kerneltest.ConvRandomInt8s(rng, in.C*cout, -127, 127)
	for i := 12 * in.C; i < 18*in.C; i++ {
		w[i] = 0 // columns 12..17: zero accumulators, so inf*0 = NaN
	}
	src := &tensor.Int8{Shape: in, Data: kerneltest.ConvRandomInt8s(rng, in.Elems(), -128, 127)}
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := kerneltest.Shape(1, 3, 5, cout)
	for _, o := range []q8ref.Output{
		{Multipliers: mult, Zero: 0, Lo: quant.QMin, Hi: quant.QMax},
		{Multipliers: mult, Zero: -128, Lo: -128, Hi: 127},
		{Multipliers: mult, Zero: 127, Lo: -5, Hi: 6},
		{Multipliers: mult, Zero: -7, Lo: -7, Hi: -7},
	} {
		want := tensor.NewInt8(out)
		q8ref.Conv2D(want, src, w, bias, g, 0, o, make([]int32, cout))
		for _, p := range testPaths(t) {
			conv, err := q8.NewConv(p.k, w, bias, g, in, out, 0, o)
			if err != nil {
				t.Fatal(err)
			}
			checkRun(t, fmt.Sprintf("%v zero %d clamp [%d, %d]", p, o.Zero, o.Lo, o.Hi), conv.Run, src, want)
		}
	}
}

func TestConvMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cases := append([]kerneltest.ConvCase(nil), convCases...)
	for range 30 { // and random geometries
		k := 1 + 2*rng.IntN(3)
		cases = append(cases, kerneltest.ConvCase{
			In:   kerneltest.Shape(1+rng.IntN(2), 1+rng.IntN(9), 1+rng.IntN(12), 1+rng.IntN(70)),
			Cout: 1 + rng.IntN(50), KH: k, KW: 1 + 2*rng.IntN(3),
			Stride: 1 + rng.IntN(2), Pad: rng.IntN(k), Dil: 1 + rng.IntN(2),
		})
	}
	paths := testPaths(t)
	for _, c := range cases {
		f := kerneltest.NewConvFixture(rng, c)
		want := f.Want()
		for _, p := range paths {
			what := fmt.Sprintf("%v %v", p, c)
			conv, err := q8.NewConv(p.k, f.W, f.Bias, c.Geometry(), c.In, f.Out, f.InZero, f.O)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			checkRun(t, what, conv.Run, f.Src, want)
			// The same layer in uneven ranges, as a worker pool would run it.
			checkRun(t, what+" in ranges", func(dst, src *tensor.Int8) {
				for start := 0; start < conv.Pixels(); {
					end := min(conv.Pixels(), start+1+rng.IntN(7))
					conv.RunRange(dst, src, start, end)
					start = end
				}
			}, f.Src, want)
		}
	}
}

// TestConvRunRangeConcurrently runs disjoint ranges of one layer on
// several goroutines, as a worker pool will (run it with -race too).
func TestConvRunRangeConcurrently(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	f := kerneltest.NewConvFixture(rng, kerneltest.NewConvCase(kerneltest.Shape(1, 9, 11, 21), 19, 3, 3, 1, 1, 1))
	want := f.Want()
	for _, p := range testPaths(t) {
		conv, err := q8.NewConv(p.k, f.W, f.Bias, f.C.Geometry(), f.C.In, f.Out, f.InZero, f.O)
		if err != nil {
			t.Fatal(err)
		}
		dst, whole := kerneltest.GuardedTensor(f.Out)
		var wg sync.WaitGroup
		const workers = 5 // ranges of 19 or 20 pixels: odd starts and ends
		for i := range workers {
			wg.Go(func() { conv.RunRange(dst, f.Src, i*conv.Pixels()/workers, (i+1)*conv.Pixels()/workers) })
		}
		wg.Wait()
		kerneltest.Diff(t, fmt.Sprintf("%v concurrent ranges", p), dst.Data, want.Data)
		kerneltest.CheckGuards(t, fmt.Sprintf("%v concurrent ranges", p), whole)
	}
}

// TestConvRoundsTiesToEven uses multipliers of 1/2 and 1/4 on small
// accumulators, so that many products end in .5 and the rounding mode
// decides the result.
func TestConvRoundsTiesToEven(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	in := kerneltest.Shape(1, 4, 9, 3)
	cout := 19
	w := kerneltest.ConvRandomInt8s(rng, in.C*cout, -2, 2)
	src := &tensor.Int8{Shape: in, Data: kerneltest.ConvRandomInt8s(rng, in.Elems(), -3, 3)}
	bias := make([]int32, cout)
	mult := make([]float32, cout)
	for o := range cout {
		bias[o] = int32(rng.IntN(9) - 4)
		mult[o] = []float32{0.5, 0.25, 1.5}[o%3]
	}
	o := q8ref.Output{Multipliers: mult, Zero: 3, Lo: quant.QMin, Hi: quant.QMax}
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := kerneltest.Shape(1, 4, 9, cout)
	want := tensor.NewInt8(out)
	q8ref.Conv2D(want, src, w, bias, g, 0, o, make([]int32, cout))
	ties := 0
	for i, v := range want.Data {
		if v%2 != 0 && mult[i%cout] == 0.5 {
			ties++
		}
	}
	for _, p := range testPaths(t) {
		conv, err := q8.NewConv(p.k, w, bias, g, in, out, 0, o)
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, fmt.Sprintf("%v ties", p), conv.Run, src, want)
	}
	if ties == 0 {
		t.Fatal("the data has no odd results at multiplier 1/2: the test checks no rounding")
	}
}

func TestGemmLayersAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	f := kerneltest.NewConvFixture(rng, kerneltest.NewConvCase(kerneltest.Shape(1, 6, 6, 20), 24, 3, 3, 1, 1, 1))
	for _, p := range testPaths(t) {
		conv, err := q8.NewConv(p.k, f.W, f.Bias, f.C.Geometry(), f.C.In, f.Out, f.InZero, f.O)
		if err != nil {
			t.Fatal(err)
		}
		dst := tensor.NewInt8(f.Out)
		if n := testing.AllocsPerRun(5, func() { conv.Run(dst, f.Src) }); n != 0 {
			t.Errorf("%v: Conv.Run allocates %v times", p, n)
		}
		if n := testing.AllocsPerRun(5, func() { conv.RunRange(dst, f.Src, 3, 17) }); n != 0 {
			t.Errorf("%v: Conv.RunRange allocates %v times", p, n)
		}
	}
}

// BenchmarkConv runs layers shaped like SqueezeNet 1.1's: a 3x3 first
// layer on 3 channels, a 1x1 squeeze and a 3x3 expand.
func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []kerneltest.ConvCase{
		kerneltest.NewConvCase(kerneltest.Shape(1, 56, 56, 3), 64, 3, 3, 2, 0, 1),
		kerneltest.NewConvCase(kerneltest.Shape(1, 28, 28, 128), 32, 1, 1, 1, 0, 1),
		kerneltest.NewConvCase(kerneltest.Shape(1, 28, 28, 32), 128, 3, 3, 1, 1, 1),
	} {
		f := kerneltest.NewConvFixture(rng, c)
		for _, p := range benchPaths(b) {
			conv, err := q8.NewConv(p.k, f.W, f.Bias, c.Geometry(), c.In, f.Out, f.InZero, f.O)
			if err != nil {
				b.Fatal(err)
			}
			dst := tensor.NewInt8(f.Out)
			macs := float64(f.Out.Elems()) * float64(c.KH*c.KW*c.In.C)
			b.Run(fmt.Sprintf("%v/%v", c, p), func(b *testing.B) {
				for b.Loop() {
					conv.Run(dst, f.Src)
				}
				b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// TestConvRunRangeIntoWritesAConcatenation runs a Fire module's two expand
// convolutions (1x1 and 3x3 pad 1 over the same input) straight into the
// channels of their concatenation, in uneven ranges: the result must be
// the reference convolutions followed by q8ref.Concat, and the bytes around
// the tensor untouched.
func TestConvRunRangeIntoWritesAConcatenation(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, path := range testPaths(t) {
		if path.k == nil {
			continue
		}
		for _, in := range []tensor.Shape{kerneltest.Shape(1, 7, 9, 16), kerneltest.Shape(1, 5, 6, 19), kerneltest.Shape(2, 3, 4, 8)} {
			a := kerneltest.NewConvFixture(rng, kerneltest.NewConvCase(in, 17, 1, 1, 1, 0, 1))
			b := kerneltest.NewConvFixture(rng, kerneltest.NewConvCase(in, 24, 3, 3, 1, 1, 1))
			b.Src, b.InZero = a.Src, a.InZero
			wantA, wantB := a.Want(), b.Want()
			cat := kerneltest.Shape(in.N, in.H, in.W, a.C.Cout+b.C.Cout)
			want := tensor.NewInt8(cat)
			q8ref.Concat(want, []*tensor.Int8{wantA, wantB})

			got, whole := kerneltest.GuardedTensor(cat)
			ca, err := q8.NewConv(path.k, a.W, a.Bias, a.C.Geometry(), in, a.Out, a.InZero, a.O)
			if err != nil {
				t.Fatal(err)
			}
			cb, err := q8.NewConv(path.k, b.W, b.Bias, b.C.Geometry(), in, b.Out, b.InZero, b.O)
			if err != nil {
				t.Fatal(err)
			}
			n := ca.Pixels()
			cut := rng.IntN(n + 1)
			ca.RunRangeInto(got.Data, cat.C, 0, a.Src, 0, cut)
			ca.RunRangeInto(got.Data, cat.C, 0, a.Src, cut, n)
			cb.RunRangeInto(got.Data, cat.C, a.C.Cout, b.Src, 0, n)
			what := path.String() + " " + in.String()
			kerneltest.CheckGuards(t, what, whole)
			kerneltest.Diff(t, what, got.Data, want.Data)
		}
	}
}

func TestConvRunRangeIntoRejectsOutputsThatDoNotFit(t *testing.T) {
	for _, path := range testPaths(t) {
		if path.k == nil {
			continue
		}
		f := kerneltest.NewConvFixture(rand.New(rand.NewPCG(1, 2)), kerneltest.NewConvCase(kerneltest.Shape(1, 2, 2, 4), 8, 1, 1, 1, 0, 1))
		c, err := q8.NewConv(path.k, f.W, f.Bias, f.C.Geometry(), f.C.In, f.Out, f.InZero, f.O)
		if err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: an offset that overflows the stride was accepted", path)
				}
			}()
			c.RunRangeInto(make([]int8, 4*12), 12, 5, f.Src, 0, 4)
		}()
	}
}

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
			dst := checkRun(t, what, l.Run, src, want)
			checkNoAllocs(t, what, func() { l.Run(dst, src) })
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
