package amd64

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"

	"neonet.dev/neonet/kernels"
	"neonet.dev/neonet/kernels/dispatch"
	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Every GEMM-based layer is compared byte for byte with the q8 reference
// on every path this CPU supports, on shapes that leave channel tails
// (Cin not a multiple of 4), column tails (Cout not a multiple of 8)
// and row tails (pixels not a multiple of 4). Outputs sit inside
// a buffer of sentinels that must come back untouched.

// convPaths is every path Supported allows; the others are logged.
func convPaths(t testing.TB) []Path {
	var ps []Path
	for _, p := range Paths() {
		if Supported(p) {
			ps = append(ps, p)
		} else {
			t.Logf("path %v: skipped, not supported by this CPU", p)
		}
	}
	return ps
}

type convCase struct {
	in                       tensor.Shape
	cout                     int
	kh, kw, stride, pad, dil int
}

func (c convCase) geometry() kernels.ConvGeometry {
	return kernels.ConvGeometry{KH: c.kh, KW: c.kw, StrideH: c.stride, StrideW: c.stride, PadH: c.pad, PadW: c.pad, DilH: c.dil, DilW: c.dil, Groups: 1}
}

func (c convCase) String() string {
	return fmt.Sprintf("%dx%dx%dx%d->%d k%dx%d s%d p%d d%d", c.in.N, c.in.H, c.in.W, c.in.C, c.cout, c.kh, c.kw, c.stride, c.pad, c.dil)
}

var convCases = []convCase{
	{kerneltest.Shape(1, 5, 7, 16), 16, 1, 1, 1, 0, 1},  // whole chunks and tiles
	{kerneltest.Shape(1, 3, 5, 1), 1, 1, 1, 1, 0, 1},    // one channel in, one out
	{kerneltest.Shape(1, 4, 3, 17), 33, 1, 1, 1, 0, 1},  // tail of 1 channel; Cout 33
	{kerneltest.Shape(2, 3, 3, 31), 3, 1, 1, 1, 0, 1},   // tail of 3 (2+1)
	{kerneltest.Shape(1, 7, 5, 6), 9, 1, 1, 2, 0, 1},    // 1x1 stride 2, tail 2
	{kerneltest.Shape(1, 6, 6, 64), 24, 1, 1, 1, 0, 1},  // several chunks
	{kerneltest.Shape(1, 5, 7, 5), 17, 3, 3, 1, 1, 1},   // 3x3 pad 1, tail 4+1
	{kerneltest.Shape(1, 9, 7, 24), 40, 3, 3, 2, 1, 1},  // 3x3 stride 2, tail 8
	{kerneltest.Shape(1, 8, 9, 3), 3, 5, 5, 1, 2, 1},    // 5x5, Cin 3
	{kerneltest.Shape(1, 13, 11, 3), 24, 7, 7, 2, 3, 1}, // 7x7 stride 2: a first layer
	{kerneltest.Shape(1, 9, 9, 19), 9, 3, 3, 1, 2, 2},   // dilation 2
	{kerneltest.Shape(2, 5, 4, 12), 7, 3, 1, 1, 1, 1},   // 3x1, batch 2
	{kerneltest.Shape(1, 3, 3, 2), 5, 5, 5, 1, 1, 1},    // window larger than the padded input
	{kerneltest.Shape(1, 4, 4, 33), 1, 3, 3, 1, 0, 1},   // Cout 1, no padding: row taps
	{kerneltest.Shape(1, 9, 9, 3), 16, 3, 3, 2, 0, 1},   // row taps of 9 channels
	{kerneltest.Shape(1, 2, 2, 4), 3, 5, 5, 1, 0, 1},    // no output pixels
	{kerneltest.Shape(1, 5, 6, 96), 17, 3, 3, 1, 1, 1},  // 96 channels: 24 chunks per pixel tap
	{kerneltest.Shape(1, 6, 7, 95), 8, 1, 1, 1, 0, 1},   // 95 channels, one full column tile
}

// convFixture is one layer's random data.
type convFixture struct {
	c      convCase
	out    tensor.Shape
	w      []int8
	bias   []int32
	src    *tensor.Int8
	inZero int32
	o      q8.Output
}

func newConvFixture(rng *rand.Rand, c convCase) convFixture {
	g := c.geometry()
	oh, ow := g.OutSize(c.in.H, c.in.W)
	k := c.kh * c.kw * c.in.C
	f := convFixture{
		c: c, out: kerneltest.Shape(c.in.N, oh, ow, c.cout),
		w:      kerneltest.ConvRandomInt8s(rng, k*c.cout, -127, 127),
		bias:   make([]int32, c.cout),
		src:    &tensor.Int8{Shape: c.in, Data: kerneltest.ConvRandomInt8s(rng, c.in.Elems(), -128, 127)},
		inZero: int32(rng.IntN(256) - 128),
		o:      kerneltest.ConvRandomOutput(rng, c.cout, k),
	}
	for i := range f.bias {
		f.bias[i] = int32(rng.IntN(40001) - 20000)
	}
	return f
}

func (f convFixture) want() *tensor.Int8 {
	want := tensor.NewInt8(f.out)
	q8.Conv2D(want, f.src, f.w, f.bias, f.c.geometry(), f.inZero, f.o, make([]int32, f.c.cout))
	return want
}

func TestConvMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	cases := append([]convCase(nil), convCases...)
	for range 30 { // and random geometries
		k := 1 + 2*rng.IntN(3)
		cases = append(cases, convCase{
			in:   kerneltest.Shape(1+rng.IntN(2), 1+rng.IntN(9), 1+rng.IntN(12), 1+rng.IntN(70)),
			cout: 1 + rng.IntN(50), kh: k, kw: 1 + 2*rng.IntN(3),
			stride: 1 + rng.IntN(2), pad: rng.IntN(k), dil: 1 + rng.IntN(2),
		})
	}
	paths := convPaths(t)
	for _, c := range cases {
		f := newConvFixture(rng, c)
		want := f.want()
		for _, p := range paths {
			what := fmt.Sprintf("%v %v", p, c)
			conv, err := NewConv(p, f.w, f.bias, c.geometry(), c.in, f.out, f.inZero, f.o)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst, whole := kerneltest.ConvGuarded(f.out)
			conv.Run(dst, f.src)
			kerneltest.ConvCompare(t, what, dst.Data, want.Data)
			kerneltest.ConvCheckGuards(t, what, whole)

			// The same layer in uneven ranges, as a worker pool would run it.
			dst, whole = kerneltest.ConvGuarded(f.out)
			for start := 0; start < conv.Pixels(); {
				end := min(conv.Pixels(), start+1+rng.IntN(7))
				conv.RunRange(dst, f.src, start, end)
				start = end
			}
			kerneltest.ConvCompare(t, what+" in ranges", dst.Data, want.Data)
			kerneltest.ConvCheckGuards(t, what+" in ranges", whole)
		}
	}
}

// TestConvRunRangeConcurrently runs disjoint ranges of one layer on
// several goroutines, as a worker pool will (run it with -race too).
func TestConvRunRangeConcurrently(t *testing.T) {
	rng := rand.New(rand.NewPCG(12, 13))
	f := newConvFixture(rng, convCase{kerneltest.Shape(1, 9, 11, 21), 19, 3, 3, 1, 1, 1})
	want := f.want()
	for _, p := range convPaths(t) {
		conv, err := NewConv(p, f.w, f.bias, f.c.geometry(), f.c.in, f.out, f.inZero, f.o)
		if err != nil {
			t.Fatal(err)
		}
		dst, whole := kerneltest.ConvGuarded(f.out)
		var wg sync.WaitGroup
		const workers = 5 // ranges of 19 or 20 pixels: odd starts and ends
		for i := range workers {
			wg.Go(func() { conv.RunRange(dst, f.src, i*conv.Pixels()/workers, (i+1)*conv.Pixels()/workers) })
		}
		wg.Wait()
		kerneltest.ConvCompare(t, fmt.Sprintf("%v concurrent ranges", p), dst.Data, want.Data)
		kerneltest.ConvCheckGuards(t, fmt.Sprintf("%v concurrent ranges", p), whole)
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
	o := q8.Output{Multipliers: mult, Zero: 3, Lo: quant.QMin, Hi: quant.QMax}
	g := kernels.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := kerneltest.Shape(1, 4, 9, cout)
	want := tensor.NewInt8(out)
	q8.Conv2D(want, src, w, bias, g, 0, o, make([]int32, cout))
	ties := 0
	for i, v := range want.Data {
		if v%2 != 0 && mult[i%cout] == 0.5 {
			ties++
		}
	}
	for _, p := range convPaths(t) {
		conv, err := NewConv(p, w, bias, g, in, out, 0, o)
		if err != nil {
			t.Fatal(err)
		}
		got := tensor.NewInt8(out)
		conv.Run(got, src)
		kerneltest.ConvCompare(t, fmt.Sprintf("%v ties", p), got.Data, want.Data)
	}
	if ties == 0 {
		t.Fatal("the data has no odd results at multiplier 1/2: the test checks no rounding")
	}
}

// TestConvInteriorColumns checks which output columns read a kernel row
// as one tap: those whose window is inside the image horizontally.
func TestConvInteriorColumns(t *testing.T) {
	for _, c := range []struct {
		w, cin, k, stride, pad, dil int
		from, to                    int
	}{
		{224, 3, 3, 2, 1, 1, 0, 0},   // EfficientNet's stem: 9 channels per row are 3 chunks, as 3 pixels of 3
		{224, 3, 3, 2, 0, 1, 0, 111}, // SqueezeNet 1.1's: no padding, all interior
		{13, 3, 7, 2, 3, 1, 2, 5},    // 21 channels per row are 6 chunks, not 7
		{13, 64, 3, 1, 0, 1, 0, 11},  // no padding: rows, nothing to cut
		{13, 64, 3, 1, 1, 1, 0, 0},   // padding and 4-channel pixels: rows would save no chunk
		{13, 5, 3, 1, 1, 1, 1, 12},   // 15 channels per row are 4 chunks, not 6
		{2, 3, 3, 1, 1, 1, 0, 0},     // no interior column
		{9, 3, 3, 1, 2, 2, 0, 0},     // dilated: a tap per pixel
		{9, 3, 1, 1, 0, 1, 0, 0},     // 1x1: a tap per pixel already
	} {
		g := kernels.ConvGeometry{KH: 1, KW: c.k, StrideH: 1, StrideW: c.stride, PadW: c.pad, DilH: 1, DilW: c.dil, Groups: 1}
		_, ow := g.OutSize(1, c.w)
		in, out := kerneltest.Shape(1, 1, c.w, c.cin), kerneltest.Shape(1, 1, ow, 4)
		conv, err := NewConv(AVX2, make([]int8, c.k*c.cin*4), make([]int32, 4), g, in, out, 0, q8.Output{Multipliers: []float32{1}, Lo: -128, Hi: 127})
		if err != nil {
			t.Fatal(err)
		}
		if conv.c.InteriorFrom != c.from || conv.c.InteriorTo != c.to {
			t.Errorf("width %d, Cin %d, k %d, stride %d, pad %d, dilation %d: interior columns [%d, %d), want [%d, %d)",
				c.w, c.cin, c.k, c.stride, c.pad, c.dil, conv.c.InteriorFrom, conv.c.InteriorTo, c.from, c.to)
		}
	}
}

func TestConvRejectsBadArguments(t *testing.T) {
	in, out := kerneltest.Shape(1, 4, 4, 8), kerneltest.Shape(1, 4, 4, 8)
	g := kernels.ConvGeometry{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1}
	w, bias := make([]int8, 9*8*8), make([]int32, 8)
	o := q8.Output{Multipliers: []float32{0.01}, Lo: -128, Hi: 127}
	if _, err := NewConv(AVX2, w, bias, g, in, out, 0, o); err != nil {
		t.Fatalf("valid layer rejected: %v", err)
	}
	grouped := g
	grouped.Groups = 2
	bad := []struct {
		what string
		err  func() error
	}{
		{"groups", func() error { _, err := NewConv(AVX2, w[:len(w)/2], bias, grouped, in, out, 0, o); return err }},
		{"output shape", func() error { _, err := NewConv(AVX2, w, bias, g, in, kerneltest.Shape(1, 3, 4, 8), 0, o); return err }},
		{"weights", func() error { _, err := NewConv(AVX2, w[1:], bias, g, in, out, 0, o); return err }},
		{"multipliers", func() error {
			_, err := NewConv(AVX2, w, bias, g, in, out, 0, q8.Output{Multipliers: []float32{1, 2}, Lo: -128, Hi: 127})
			return err
		}},
		{"bounds", func() error {
			_, err := NewConv(AVX2, w, bias, g, in, out, 0, q8.Output{Multipliers: []float32{1}, Lo: 5, Hi: 4})
			return err
		}},
		{"path", func() error { _, err := NewConv(Path(9), w, bias, g, in, out, 0, o); return err }},
		{"NEON path", func() error { _, err := NewConv(dispatch.NEON, w, bias, g, in, out, 0, o); return err }},
	}
	for _, b := range bad {
		if b.err() == nil {
			t.Errorf("%s: no error", b.what)
		}
	}
}

func TestGemmLayersAllocateNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	f := newConvFixture(rng, convCase{kerneltest.Shape(1, 6, 6, 20), 24, 3, 3, 1, 1, 1})
	for _, p := range convPaths(t) {
		conv, err := NewConv(p, f.w, f.bias, f.c.geometry(), f.c.in, f.out, f.inZero, f.o)
		if err != nil {
			t.Fatal(err)
		}
		dst := tensor.NewInt8(f.out)
		if n := testing.AllocsPerRun(5, func() { conv.Run(dst, f.src) }); n != 0 {
			t.Errorf("%v: Conv.Run allocates %v times", p, n)
		}
		if n := testing.AllocsPerRun(5, func() { conv.RunRange(dst, f.src, 3, 17) }); n != 0 {
			t.Errorf("%v: Conv.RunRange allocates %v times", p, n)
		}
	}
}

// BenchmarkConv runs layers shaped like SqueezeNet 1.1's: a 3x3 first
// layer on 3 channels, a 1x1 squeeze and a 3x3 expand.
func BenchmarkConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range []convCase{
		{kerneltest.Shape(1, 56, 56, 3), 64, 3, 3, 2, 0, 1},
		{kerneltest.Shape(1, 28, 28, 128), 32, 1, 1, 1, 0, 1},
		{kerneltest.Shape(1, 28, 28, 32), 128, 3, 3, 1, 1, 1},
	} {
		f := newConvFixture(rng, c)
		for _, p := range convPaths(b) {
			conv, err := NewConv(p, f.w, f.bias, c.geometry(), c.in, f.out, f.inZero, f.o)
			if err != nil {
				b.Fatal(err)
			}
			dst := tensor.NewInt8(f.out)
			macs := float64(f.out.Elems()) * float64(c.kh*c.kw*c.in.C)
			b.Run(fmt.Sprintf("%v/%v", c, p), func(b *testing.B) {
				for b.Loop() {
					conv.Run(dst, f.src)
				}
				b.ReportMetric(macs*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
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
	g := kernels.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := kerneltest.Shape(1, 3, 5, cout)
	for _, o := range []q8.Output{
		{Multipliers: mult, Zero: 0, Lo: quant.QMin, Hi: quant.QMax},
		{Multipliers: mult, Zero: -128, Lo: -128, Hi: 127},
		{Multipliers: mult, Zero: 127, Lo: -5, Hi: 6},
		{Multipliers: mult, Zero: -7, Lo: -7, Hi: -7},
	} {
		want := tensor.NewInt8(out)
		q8.Conv2D(want, src, w, bias, g, 0, o, make([]int32, cout))
		for _, p := range convPaths(t) {
			conv, err := NewConv(p, w, bias, g, in, out, 0, o)
			if err != nil {
				t.Fatal(err)
			}
			got := tensor.NewInt8(out)
			conv.Run(got, src)
			kerneltest.ConvCompare(t, fmt.Sprintf("%v zero %d clamp [%d, %d]", p, o.Zero, o.Lo, o.Hi), got.Data, want.Data)
		}
	}
}
