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
	"neonet.dev/neonet/tensor"
)

// The depthwise tests sweep shapes chosen to hit channel tails, partial
// windows, large windows and saturation.

type dwCase struct {
	n, h, w, c     int
	k, stride, pad int
	padW, dil      int
}

func (c dwCase) geometry() nn.ConvGeometry {
	return nn.ConvGeometry{KH: c.k, KW: c.k, StrideH: c.stride, StrideW: c.stride, PadH: c.pad, PadW: c.padW, DilH: c.dil, DilW: c.dil, Groups: c.c}
}

var dwCases = []dwCase{
	{1, 5, 5, 1, 3, 1, 1, 1, 1},
	{1, 6, 7, 3, 3, 2, 1, 1, 1},
	{1, 7, 5, 15, 3, 1, 0, 0, 1},
	{1, 4, 4, 16, 3, 1, 1, 1, 1},
	{2, 5, 6, 17, 3, 2, 1, 1, 1},
	{1, 9, 8, 33, 3, 1, 2, 0, 1},
	{1, 7, 7, 96, 3, 2, 1, 1, 1},
	{1, 3, 9, 40, 3, 1, 1, 1, 1},   // an 8-channel tail
	{1, 9, 9, 24, 5, 1, 2, 2, 1},   // 5x5 stride 1
	{1, 10, 11, 47, 5, 2, 2, 2, 1}, // 5x5 stride 2, odd sizes
	{1, 5, 5, 32, 5, 1, 4, 1, 1},   // padding wider than the image
	{1, 2, 3, 20, 5, 2, 2, 3, 1},   // tiny image, every window partial
	{1, 1, 1, 18, 3, 1, 1, 1, 1},   // one pixel
	{1, 8, 8, 16, 3, 1, 2, 2, 2},   // dilated
	{1, 8, 9, 17, 7, 2, 3, 3, 1},   // 7x7: 49 taps
	{1, 11, 10, 19, 9, 1, 4, 4, 1}, // 9x9: 81 taps, the Go row kernel
}

// dwFixture is one random depthwise problem.
type dwFixture struct {
	geo     nn.ConvGeometry
	in, out tensor.Shape
	src     *tensor.Int8
	w       []int8
	bias    []int32
	inZero  int32
	o       q8ref.Output
}

// newDWFixture makes random data; with weightMin the weights include
// -128 (the products of -128 * -128 are the largest).
func newDWFixture(rng *rand.Rand, c dwCase, weightMin bool) dwFixture {
	g := c.geometry()
	in := tensor.Shape{N: c.n, H: c.h, W: c.w, C: c.c}
	oh, ow := g.OutSize(c.h, c.w)
	f := dwFixture{
		geo: g, in: in, out: tensor.Shape{N: c.n, H: oh, W: ow, C: c.c},
		src:    kerneltest.RandomTensor(rng, in),
		w:      kerneltest.RandomInt8s(rng, c.k*c.k*c.c),
		bias:   make([]int32, c.c),
		inZero: int32(rng.IntN(256) - 128),
		o:      kerneltest.RandomOutput(rng, c.c, rng.IntN(4) != 0),
	}
	for i := range f.bias {
		f.bias[i] = int32(rng.IntN(1<<17) - 1<<16)
	}
	for i, v := range f.w {
		if v == -128 {
			f.w[i] = -127
		}
	}
	if weightMin {
		f.w[rng.IntN(len(f.w))] = -128
	}
	return f
}

func TestDepthwiseMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for _, c := range dwCases {
		for trial := range 3 {
			f := newDWFixture(rng, c, trial == 2)
			want := tensor.NewInt8(f.out)
			q8ref.Conv2D(want, f.src, f.w, f.bias, f.geo, f.inZero, f.o, make([]int32, c.c))
			for _, p := range testPaths(t) {
				name := fmt.Sprintf("%s/%+v/trial%d", p, c, trial)
				d, err := q8.NewDepthwise(p.k, f.w, f.bias, f.geo, f.in, f.out, f.inZero, f.o)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				fast := p.k != nil && c.c >= p.k.Depthwise.MinChannels && c.k*c.k <= p.k.Depthwise.MaxTaps
				if q8.DepthwiseUsesKernels(d) != fast {
					t.Fatalf("%s: runs the microkernels: %v", name, !fast)
				}
				checkRun(t, name, d.Run, f.src, want)
				// The same rows computed in uneven pieces.
				checkRun(t, name+"/rows", func(dst, src *tensor.Int8) {
					for r := 0; r < d.Rows(); r += 2 {
						d.RunRows(dst, src, r, min(r+2, d.Rows()))
					}
				}, f.src, want)
			}
		}
	}
}

// Extreme accumulators: all weights and inputs at the int8 limits, biases
// near the int32 limits, and multipliers that overflow int32 after
// rounding, infinite and NaN.
func TestDepthwiseSaturates(t *testing.T) {
	for _, wv := range []int8{-128, -127, 127} {
		testDepthwiseSaturates(t, wv)
	}
}

func testDepthwiseSaturates(t *testing.T, weight int8) {
	c := dwCase{1, 6, 6, 35, 5, 1, 2, 2, 1}
	rng := rand.New(rand.NewPCG(3, 5))
	f := newDWFixture(rng, c, false)
	for i := range f.w {
		f.w[i] = weight
	}
	for i := range f.src.Data {
		f.src.Data[i] = []int8{-128, 127}[rng.IntN(2)]
	}
	for i := range f.bias {
		f.bias[i] = []int32{1<<31 - 1<<20, -1 << 31, 0}[i%3]
	}
	f.o.Multipliers = []float32{1e9, -1e9, 3e-10, 1, float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 0}
	f.o.Multipliers = append(f.o.Multipliers, make([]float32, c.c-8)...)
	for i := 8; i < c.c; i++ {
		f.o.Multipliers[i] = float32(i) * 100
	}
	want := tensor.NewInt8(f.out)
	q8ref.Conv2D(want, f.src, f.w, f.bias, f.geo, f.inZero, f.o, make([]int32, c.c))
	for _, p := range testPaths(t) {
		d, err := q8.NewDepthwise(p.k, f.w, f.bias, f.geo, f.in, f.out, f.inZero, f.o)
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, fmt.Sprintf("%s/weights %d", p, weight), d.Run, f.src, want)
	}
}

func TestDepthwiseRejectsBadArguments(t *testing.T) {
	g := nn.ConvGeometry{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 8}
	s := tensor.Shape{N: 1, H: 4, W: 4, C: 8}
	o := q8ref.Output{Multipliers: []float32{0.01}, Lo: -128, Hi: 127}
	w, b := make([]int8, 72), make([]int32, 8)
	for _, p := range testPaths(t) {
		if _, err := q8.NewDepthwise(p.k, w, b, g, s, s, 0, o); err != nil {
			t.Fatalf("%v: valid convolution rejected: %v", p, err)
		}
		checkRejects(t, p, []badCall{
			{"weights", func() error { _, err := q8.NewDepthwise(p.k, w[:71], b, g, s, s, 0, o); return err }},
			{"bias", func() error { _, err := q8.NewDepthwise(p.k, w, b[:7], g, s, s, 0, o); return err }},
			{"groups", func() error { g2 := g; g2.Groups = 4; _, err := q8.NewDepthwise(p.k, w, b, g2, s, s, 0, o); return err }},
			{"out shape", func() error { s2 := s; s2.W = 3; _, err := q8.NewDepthwise(p.k, w, b, g, s, s2, 0, o); return err }},
			{"zero", func() error { _, err := q8.NewDepthwise(p.k, w, b, g, s, s, 200, o); return err }},
			{"output zero", func() error {
				o2 := o
				o2.Zero = -129
				_, err := q8.NewDepthwise(p.k, w, b, g, s, s, 0, o2)
				return err
			}},
			{"multipliers", func() error {
				o2 := o
				o2.Multipliers = []float32{1, 2}
				_, err := q8.NewDepthwise(p.k, w, b, g, s, s, 0, o2)
				return err
			}},
		})
	}
}

func TestDepthwiseAllocatesNothing(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	f := newDWFixture(rng, dwCase{1, 8, 8, 32, 3, 1, 1, 1, 1}, false)
	for _, p := range testPaths(t) {
		d, err := q8.NewDepthwise(p.k, f.w, f.bias, f.geo, f.in, f.out, f.inZero, f.o)
		if err != nil {
			t.Fatal(err)
		}
		dst := tensor.NewInt8(f.out)
		if a := testing.AllocsPerRun(5, func() { d.Run(dst, f.src) }); a != 0 {
			t.Errorf("%s: %v allocations per Run", p, a)
		}
	}
}

// BenchmarkDepthwise runs EfficientNet-B0's first depthwise layers.
func BenchmarkDepthwise(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []dwCase{
		{1, 112, 112, 32, 3, 1, 1, 1, 1},
		{1, 56, 56, 144, 3, 2, 1, 1, 1},
		{1, 28, 28, 240, 5, 1, 2, 2, 1},
	} {
		f := newDWFixture(rng, c, false)
		for _, p := range benchPaths(b) {
			d, err := q8.NewDepthwise(p.k, f.w, f.bias, f.geo, f.in, f.out, f.inZero, f.o)
			if err != nil {
				b.Fatal(err)
			}
			dst := tensor.NewInt8(f.out)
			macs := f.out.Elems() * c.k * c.k
			b.Run(fmt.Sprintf("%dx%dx%d_k%ds%d/%s", c.h, c.w, c.c, c.k, c.stride, p), func(b *testing.B) {
				for b.Loop() {
					d.Run(dst, f.src)
				}
				b.ReportMetric(float64(macs)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GMAC/s")
			})
		}
	}
}

// Random geometries, including non-square kernels, strides of 3 and
// dilation, each against the reference on every path.
func TestDepthwiseRandomGeometries(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 37))
	ran := 0
	for trial := range 40 {
		g := nn.ConvGeometry{
			KH: 1 + rng.IntN(7), KW: 1 + rng.IntN(7),
			StrideH: 1 + rng.IntN(3), StrideW: 1 + rng.IntN(3),
			DilH: 1 + rng.IntN(2), DilW: 1 + rng.IntN(2),
		}
		g.PadH, g.PadW = rng.IntN(g.KH+1), rng.IntN(g.KW+1)
		c := []int{1, 7, 15, 16, 19, 32, 45, 96}[rng.IntN(8)]
		g.Groups = c
		in := tensor.Shape{N: 1 + rng.IntN(2), H: 1 + rng.IntN(9), W: 1 + rng.IntN(9), C: c}
		oh, ow := g.OutSize(in.H, in.W)
		if oh < 1 || ow < 1 {
			continue
		}
		ran++
		out := tensor.Shape{N: in.N, H: oh, W: ow, C: c}
		src := kerneltest.RandomTensor(rng, in)
		w := kerneltest.RandomInt8s(rng, g.KH*g.KW*c)
		if trial%2 == 0 {
			for i, v := range w {
				w[i] = max(v, -127)
			}
		}
		bias := make([]int32, c)
		for i := range bias {
			bias[i] = int32(rng.IntN(1<<15) - 1<<14)
		}
		inZero := int32(rng.IntN(256) - 128)
		o := kerneltest.RandomOutput(rng, c, rng.IntN(2) == 0)
		want := tensor.NewInt8(out)
		q8ref.Conv2D(want, src, w, bias, g, inZero, o, make([]int32, c))
		for _, p := range testPaths(t) {
			name := fmt.Sprintf("%s/%+v/%v", p, g, in)
			d, err := q8.NewDepthwise(p.k, w, bias, g, in, out, inZero, o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			checkRun(t, name, d.Run, src, want)
		}
	}
	if ran < 25 {
		t.Fatalf("only %d of 40 random geometries had an output", ran)
	}
}

// TestDepthwiseRunRowsConcurrently runs disjoint row ranges of one
// convolution on several goroutines, as a worker pool will (run it with
// -race too): each kernel call keeps its tap table on its own stack.
func TestDepthwiseRunRowsConcurrently(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 43))
	f := newDWFixture(rng, dwCase{2, 9, 11, 40, 3, 1, 1, 1, 1}, false)
	want := tensor.NewInt8(f.out)
	q8ref.Conv2D(want, f.src, f.w, f.bias, f.geo, f.inZero, f.o, make([]int32, f.in.C))
	for _, p := range testPaths(t) {
		d, err := q8.NewDepthwise(p.k, f.w, f.bias, f.geo, f.in, f.out, f.inZero, f.o)
		if err != nil {
			t.Fatal(err)
		}
		got, whole := kerneltest.GuardedTensor(f.out)
		var wg sync.WaitGroup
		const workers = 4
		for i := range workers {
			wg.Go(func() { d.RunRows(got, f.src, i*d.Rows()/workers, (i+1)*d.Rows()/workers) })
		}
		wg.Wait()
		kerneltest.Diff(t, fmt.Sprintf("%s concurrent rows", p), got.Data, want.Data)
		kerneltest.CheckGuards(t, fmt.Sprintf("%s concurrent rows", p), whole)
	}
}
