package kerneltest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Layer is a built GEMM layer: Linear, ShiftConv.
type Layer interface {
	Run(dst, src *tensor.Int8)
}

// Conv is a built convolution.
type Conv interface {
	Layer
	RunRange(dst, src *tensor.Int8, start, end int)
	RunRangeInto(dst []int8, stride, offset int, src *tensor.Int8, start, end int)
	Pixels() int
}

// Layers is one package's GEMM layers (Conv, Linear, ShiftConv), which
// the tests below compare with kernels/q8ref.
type Layers struct {
	// Paths is every path the package supports on this CPU.
	Paths func(t testing.TB) []dispatch.Path
	// Fast is the package's optimized path (always accepted).
	Fast              dispatch.Path
	NewConv           func(p dispatch.Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (Conv, error)
	NewLinear         func(p dispatch.Path, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (Layer, error)
	NewShiftConv      func(p dispatch.Path, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (Layer, error)
	ShiftChannelOrder func(offsets []nn.Offset) []int
}

// ConvCase is a convolution to test: input shape, output channels, kernel
// size, stride, padding and dilation.
type ConvCase struct {
	In                       tensor.Shape
	Cout                     int
	KH, KW, Stride, Pad, Dil int
}

// NewConvCase is ConvCase{in, cout, kh, kw, stride, pad, dil}.
func NewConvCase(in tensor.Shape, cout, kh, kw, stride, pad, dil int) ConvCase {
	return ConvCase{In: in, Cout: cout, KH: kh, KW: kw, Stride: stride, Pad: pad, Dil: dil}
}

// Geometry is c's geometry (groups 1).
func (c ConvCase) Geometry() nn.ConvGeometry {
	return nn.ConvGeometry{KH: c.KH, KW: c.KW, StrideH: c.Stride, StrideW: c.Stride, PadH: c.Pad, PadW: c.Pad, DilH: c.Dil, DilW: c.Dil, Groups: 1}
}

func (c ConvCase) String() string {
	return fmt.Sprintf("%dx%dx%dx%d->%d k%dx%d s%d p%d d%d", c.In.N, c.In.H, c.In.W, c.In.C, c.Cout, c.KH, c.KW, c.Stride, c.Pad, c.Dil)
}

// ConvFixture is one layer's random data.
type ConvFixture struct {
	C      ConvCase
	Out    tensor.Shape
	W      []int8
	Bias   []int32
	Src    *tensor.Int8
	InZero int32
	O      q8ref.Output
}

// NewConvFixture draws random weights, biases, input and output
// parameters for c.
func NewConvFixture(rng *rand.Rand, c ConvCase) ConvFixture {
	g := c.Geometry()
	oh, ow := g.OutSize(c.In.H, c.In.W)
	k := c.KH * c.KW * c.In.C
	f := ConvFixture{
		C: c, Out: Shape(c.In.N, oh, ow, c.Cout),
		W:      ConvRandomInt8s(rng, k*c.Cout, -127, 127),
		Bias:   make([]int32, c.Cout),
		Src:    &tensor.Int8{Shape: c.In, Data: ConvRandomInt8s(rng, c.In.Elems(), -128, 127)},
		InZero: int32(rng.IntN(256) - 128),
		O:      ConvRandomOutput(rng, c.Cout, k),
	}
	for i := range f.Bias {
		f.Bias[i] = int32(rng.IntN(40001) - 20000)
	}
	return f
}

// Want is the q8 reference output of f.
func (f ConvFixture) Want() *tensor.Int8 {
	want := tensor.NewInt8(f.Out)
	q8ref.Conv2D(want, f.Src, f.W, f.Bias, f.C.Geometry(), f.InZero, f.O, make([]int32, f.C.Cout))
	return want
}

func ConvMatchesReference(t *testing.T, k Layers, convCases []ConvCase) {
	rng := rand.New(rand.NewPCG(7, 11))
	cases := append([]ConvCase(nil), convCases...)
	for range 30 { // and random geometries
		k := 1 + 2*rng.IntN(3)
		cases = append(cases, ConvCase{
			In:   Shape(1+rng.IntN(2), 1+rng.IntN(9), 1+rng.IntN(12), 1+rng.IntN(70)),
			Cout: 1 + rng.IntN(50), KH: k, KW: 1 + 2*rng.IntN(3),
			Stride: 1 + rng.IntN(2), Pad: rng.IntN(k), Dil: 1 + rng.IntN(2),
		})
	}
	paths := k.Paths(t)
	for _, c := range cases {
		f := NewConvFixture(rng, c)
		want := f.Want()
		for _, p := range paths {
			what := fmt.Sprintf("%v %v", p, c)
			conv, err := k.NewConv(p, f.W, f.Bias, c.Geometry(), c.In, f.Out, f.InZero, f.O)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst, whole := ConvGuarded(f.Out)
			conv.Run(dst, f.Src)
			ConvCompare(t, what, dst.Data, want.Data)
			ConvCheckGuards(t, what, whole)

			// The same layer in uneven ranges, as a worker pool would run it.
			dst, whole = ConvGuarded(f.Out)
			for start := 0; start < conv.Pixels(); {
				end := min(conv.Pixels(), start+1+rng.IntN(7))
				conv.RunRange(dst, f.Src, start, end)
				start = end
			}
			ConvCompare(t, what+" in ranges", dst.Data, want.Data)
			ConvCheckGuards(t, what+" in ranges", whole)
		}
	}
}

// TestConvRunRangeConcurrently runs disjoint ranges of one layer on
// several goroutines, as a worker pool will (run it with -race too).
func ConvRunRangeConcurrently(t *testing.T, k Layers) {
	rng := rand.New(rand.NewPCG(12, 13))
	f := NewConvFixture(rng, ConvCase{Shape(1, 9, 11, 21), 19, 3, 3, 1, 1, 1})
	want := f.Want()
	for _, p := range k.Paths(t) {
		conv, err := k.NewConv(p, f.W, f.Bias, f.C.Geometry(), f.C.In, f.Out, f.InZero, f.O)
		if err != nil {
			t.Fatal(err)
		}
		dst, whole := ConvGuarded(f.Out)
		var wg sync.WaitGroup
		const workers = 5 // ranges of 19 or 20 pixels: odd starts and ends
		for i := range workers {
			wg.Go(func() { conv.RunRange(dst, f.Src, i*conv.Pixels()/workers, (i+1)*conv.Pixels()/workers) })
		}
		wg.Wait()
		ConvCompare(t, fmt.Sprintf("%v concurrent ranges", p), dst.Data, want.Data)
		ConvCheckGuards(t, fmt.Sprintf("%v concurrent ranges", p), whole)
	}
}

// TestConvRoundsTiesToEven uses multipliers of 1/2 and 1/4 on small
// accumulators, so that many products end in .5 and the rounding mode
// decides the result.
func ConvRoundsTiesToEven(t *testing.T, k Layers) {
	rng := rand.New(rand.NewPCG(3, 5))
	in := Shape(1, 4, 9, 3)
	cout := 19
	w := ConvRandomInt8s(rng, in.C*cout, -2, 2)
	src := &tensor.Int8{Shape: in, Data: ConvRandomInt8s(rng, in.Elems(), -3, 3)}
	bias := make([]int32, cout)
	mult := make([]float32, cout)
	for o := range cout {
		bias[o] = int32(rng.IntN(9) - 4)
		mult[o] = []float32{0.5, 0.25, 1.5}[o%3]
	}
	o := q8ref.Output{Multipliers: mult, Zero: 3, Lo: quant.QMin, Hi: quant.QMax}
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := Shape(1, 4, 9, cout)
	want := tensor.NewInt8(out)
	q8ref.Conv2D(want, src, w, bias, g, 0, o, make([]int32, cout))
	ties := 0
	for i, v := range want.Data {
		if v%2 != 0 && mult[i%cout] == 0.5 {
			ties++
		}
	}
	for _, p := range k.Paths(t) {
		conv, err := k.NewConv(p, w, bias, g, in, out, 0, o)
		if err != nil {
			t.Fatal(err)
		}
		got := tensor.NewInt8(out)
		conv.Run(got, src)
		ConvCompare(t, fmt.Sprintf("%v ties", p), got.Data, want.Data)
	}
	if ties == 0 {
		t.Fatal("the data has no odd results at multiplier 1/2: the test checks no rounding")
	}
}

func GemmLayersAllocateNothing(t *testing.T, k Layers) {
	rng := rand.New(rand.NewPCG(1, 1))
	f := NewConvFixture(rng, ConvCase{Shape(1, 6, 6, 20), 24, 3, 3, 1, 1, 1})
	for _, p := range k.Paths(t) {
		conv, err := k.NewConv(p, f.W, f.Bias, f.C.Geometry(), f.C.In, f.Out, f.InZero, f.O)
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
func BenchConv(b *testing.B, k Layers) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []ConvCase{
		{Shape(1, 56, 56, 3), 64, 3, 3, 2, 0, 1},
		{Shape(1, 28, 28, 128), 32, 1, 1, 1, 0, 1},
		{Shape(1, 28, 28, 32), 128, 3, 3, 1, 1, 1},
	} {
		f := NewConvFixture(rng, c)
		for _, p := range k.Paths(b) {
			conv, err := k.NewConv(p, f.W, f.Bias, c.Geometry(), c.In, f.Out, f.InZero, f.O)
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
func ConvRunRangeIntoWritesAConcatenation(t *testing.T, k Layers) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, path := range k.Paths(t) {
		if path == dispatch.Ref {
			continue
		}
		for _, in := range []tensor.Shape{Shape(1, 7, 9, 16), Shape(1, 5, 6, 19), Shape(2, 3, 4, 8)} {
			a := NewConvFixture(rng, ConvCase{in, 17, 1, 1, 1, 0, 1})
			b := NewConvFixture(rng, ConvCase{in, 24, 3, 3, 1, 1, 1})
			b.Src, b.InZero = a.Src, a.InZero
			wantA, wantB := a.Want(), b.Want()
			cat := Shape(in.N, in.H, in.W, a.C.Cout+b.C.Cout)
			want := tensor.NewInt8(cat)
			q8ref.Concat(want, []*tensor.Int8{wantA, wantB})

			got, whole := ConvGuarded(cat)
			ca, err := k.NewConv(path, a.W, a.Bias, a.C.Geometry(), in, a.Out, a.InZero, a.O)
			if err != nil {
				t.Fatal(err)
			}
			cb, err := k.NewConv(path, b.W, b.Bias, b.C.Geometry(), in, b.Out, b.InZero, b.O)
			if err != nil {
				t.Fatal(err)
			}
			n := ca.Pixels()
			cut := rng.IntN(n + 1)
			ca.RunRangeInto(got.Data, cat.C, 0, a.Src, 0, cut)
			ca.RunRangeInto(got.Data, cat.C, 0, a.Src, cut, n)
			cb.RunRangeInto(got.Data, cat.C, a.C.Cout, b.Src, 0, n)
			what := path.String() + " " + in.String()
			ConvCheckGuards(t, what, whole)
			ConvCompare(t, what, got.Data, want.Data)
		}
	}
}

func ConvRunRangeIntoRejectsOutputsThatDoNotFit(t *testing.T, k Layers) {
	for _, path := range k.Paths(t) {
		if path == dispatch.Ref {
			continue
		}
		f := NewConvFixture(rand.New(rand.NewPCG(1, 2)), ConvCase{Shape(1, 2, 2, 4), 8, 1, 1, 1, 0, 1})
		c, err := k.NewConv(path, f.W, f.Bias, f.C.Geometry(), f.C.In, f.Out, f.InZero, f.O)
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
func LinearMatchesReference(t *testing.T, k Layers) {
	rng := rand.New(rand.NewPCG(5, 8))
	paths := k.Paths(t)
	for _, c := range []struct{ n, in, out int }{
		{1, 1, 1}, {1, 16, 8}, {3, 15, 7}, {2, 17, 9}, {1, 100, 33}, {4, 64, 16}, {5, 33, 17}, {1, 1280, 10},
		// Deep rows: the AVX2 path packs up to 4096 channels into its panel
		// and reads deeper ones in place.
		{7, 4096, 17}, {2, 4097, 3}, {1, 5001, 20},
	} {
		in, out := Shape(c.n, 1, 1, c.in), Shape(c.n, 1, 1, c.out)
		w := ConvRandomInt8s(rng, c.in*c.out, -127, 127)
		bias := make([]int32, c.out)
		for i := range bias {
			bias[i] = int32(rng.IntN(40001) - 20000)
		}
		o := ConvRandomOutput(rng, c.out, c.in)
		src := &tensor.Int8{Shape: in, Data: ConvRandomInt8s(rng, in.Elems(), -128, 127)}
		want := tensor.NewInt8(out)
		q8ref.Linear(want, src, w, bias, o)
		for _, p := range paths {
			what := fmt.Sprintf("%v linear %dx%d->%d", p, c.n, c.in, c.out)
			l, err := k.NewLinear(p, w, bias, in, out, o)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst, whole := ConvGuarded(out)
			l.Run(dst, src)
			ConvCompare(t, what, dst.Data, want.Data)
			ConvCheckGuards(t, what, whole)
			if n := testing.AllocsPerRun(3, func() { l.Run(dst, src) }); n != 0 {
				t.Errorf("%s: Run allocates %v times", what, n)
			}
		}
	}
	if _, err := k.NewLinear(k.Fast, make([]int8, 6), make([]int32, 2), Shape(1, 2, 1, 3), Shape(1, 1, 1, 2), q8ref.Output{Multipliers: []float32{1}, Lo: -128, Hi: 127}); err == nil {
		t.Error("NewLinear accepted a [1,2,1,3] input")
	}
}

// BenchmarkLinear is EfficientNet-B0's classifier.
func BenchLinear(b *testing.B, k Layers) {
	rng := rand.New(rand.NewPCG(2, 3))
	in, out := Shape(1, 1, 1, 1280), Shape(1, 1, 1, 1000)
	w := ConvRandomInt8s(rng, in.C*out.C, -127, 127)
	src := &tensor.Int8{Shape: in, Data: ConvRandomInt8s(rng, in.C, -128, 127)}
	o := ConvRandomOutput(rng, out.C, in.C)
	for _, p := range k.Paths(b) {
		l, err := k.NewLinear(p, w, make([]int32, out.C), in, out, o)
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

// TestShiftChannelOrder permutes the channels of an interleaved shift as
// the producing layer would (input channels, offsets and weight rows
// together): the permuted layer has 9 runs and the same outputs.
func ShiftChannelOrder(t *testing.T, k Layers) {
	rng := rand.New(rand.NewPCG(4, 4))
	in, cout := Shape(1, 6, 6, 29), 12
	offsets := InterleavedShift(in.C)
	perm := k.ShiftChannelOrder(offsets)
	seen := make([]bool, in.C)
	for _, c := range perm {
		if seen[c] {
			t.Fatalf("channel %d twice in %v", c, perm)
		}
		seen[c] = true
	}
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := Shape(1, 6, 6, cout)
	w := ConvRandomInt8s(rng, in.C*cout, -127, 127)
	bias := make([]int32, cout)
	src := &tensor.Int8{Shape: in, Data: ConvRandomInt8s(rng, in.Elems(), -128, 127)}
	o := ConvRandomOutput(rng, cout, in.C)
	want := ShiftReference(src, offsets, w, bias, g, out, 5, o)

	pSrc := tensor.NewInt8(in)
	pOffsets := make([]nn.Offset, in.C)
	pw := make([]int8, len(w))
	for i, c := range perm {
		pOffsets[i] = offsets[c]
		copy(pw[i*cout:(i+1)*cout], w[c*cout:(c+1)*cout])
		for px := range in.N * in.H * in.W {
			pSrc.Data[px*in.C+i] = src.Data[px*in.C+c]
		}
	}
	runs := 1
	for i := 1; i < len(pOffsets); i++ {
		if pOffsets[i] != pOffsets[i-1] {
			runs++
		}
	}
	if runs != 9 {
		t.Errorf("%d runs after ShiftChannelOrder, want 9", runs)
	}
	for _, p := range k.Paths(t) {
		s, err := k.NewShiftConv(p, pOffsets, pw, bias, g, in, out, 5, o)
		if err != nil {
			t.Fatal(err)
		}
		got := tensor.NewInt8(out)
		s.Run(got, pSrc)
		ConvCompare(t, fmt.Sprintf("%v permuted", p), got.Data, want.Data)
	}
}

// BenchmarkShiftConv is a ShiftResNet-20 stage-3 block's shift and second
// convolution, with its interleaved offsets and permuted into 9 runs.
func BenchShiftConv(b *testing.B, k Layers) {
	rng := rand.New(rand.NewPCG(6, 6))
	in, out := Shape(1, 8, 8, 64), Shape(1, 8, 8, 64)
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	w := ConvRandomInt8s(rng, in.C*out.C, -127, 127)
	src := &tensor.Int8{Shape: in, Data: ConvRandomInt8s(rng, in.Elems(), -128, 127)}
	o := ConvRandomOutput(rng, out.C, in.C)
	interleaved := InterleavedShift(in.C)
	grouped := make([]nn.Offset, in.C)
	for i, c := range k.ShiftChannelOrder(interleaved) {
		grouped[i] = interleaved[c]
	}
	for _, p := range k.Paths(b) {
		for name, offsets := range map[string][]nn.Offset{"interleaved": interleaved, "runs": grouped} {
			s, err := k.NewShiftConv(p, offsets, w, make([]int32, out.C), g, in, out, 0, o)
			if err != nil {
				b.Fatal(err)
			}
			dst := tensor.NewInt8(out)
			b.Run(name+"/"+p.String(), func(b *testing.B) {
				for b.Loop() {
					s.Run(dst, src)
				}
			})
		}
	}
}
