package q8_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// shiftCase is a ShiftConv to test: a 1x1 convolution of cout channels
// with stride and padding after the shift by offsets.
type shiftCase struct {
	name        string
	in          tensor.Shape
	cout        int
	stride, pad int
	offsets     []nn.Offset
}

// TestShiftConvMatchesReference compares ShiftConv with the unfused pair
// on grouped, interleaved, alternating and random shifts.
func TestShiftConvMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	paths := testPaths(t)
	random := func(channels int) []nn.Offset {
		offsets := make([]nn.Offset, channels)
		for c := range offsets {
			if c == 0 || rng.IntN(3) == 0 { // runs of random length
				offsets[c] = nn.Offset{DY: rng.IntN(5) - 2, DX: rng.IntN(5) - 2}
			} else {
				offsets[c] = offsets[c-1]
			}
		}
		return offsets
	}
	cases := []shiftCase{
		{"grouped 3x3", kerneltest.Shape(1, 6, 7, 36), 20, 1, 0, kerneltest.GroupedShift(36, 3)},
		{"grouped 5x5 stride 2", kerneltest.Shape(1, 9, 8, 53), 17, 2, 0, kerneltest.GroupedShift(53, 5)},
		{"interleaved", kerneltest.Shape(2, 5, 5, 20), 16, 1, 0, kerneltest.InterleavedShift(20)},
		{"alternating: masked taps", kerneltest.Shape(1, 6, 5, 14), 11, 1, 0, kerneltest.AlternatingShift(14)},
		{"interleaved stride 2", kerneltest.Shape(1, 8, 8, 32), 33, 2, 0, kerneltest.InterleavedShift(32)},
		{"random runs, padding", kerneltest.Shape(1, 5, 6, 27), 9, 1, 1, random(27)},
		{"random runs, stride 2", kerneltest.Shape(1, 7, 7, 40), 3, 2, 0, random(40)},
	}
	for _, c := range cases {
		g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: c.stride, StrideW: c.stride, PadH: c.pad, PadW: c.pad, DilH: 1, DilW: 1, Groups: 1}
		oh, ow := g.OutSize(c.in.H, c.in.W)
		out := kerneltest.Shape(c.in.N, oh, ow, c.cout)
		w := kerneltest.ConvRandomInt8s(rng, c.in.C*c.cout, -127, 127)
		bias := make([]int32, c.cout)
		for i := range bias {
			bias[i] = int32(rng.IntN(20001) - 10000)
		}
		src := &tensor.Int8{Shape: c.in, Data: kerneltest.ConvRandomInt8s(rng, c.in.Elems(), -128, 127)}
		inZero := int32(rng.IntN(256) - 128)
		o := kerneltest.ConvRandomOutput(rng, c.cout, c.in.C)
		want := kerneltest.ShiftReference(src, c.offsets, w, bias, g, out, inZero, o)
		for _, p := range paths {
			what := fmt.Sprintf("%v %s", p, c.name)
			s, err := q8.NewShiftConv(p.k, c.offsets, w, bias, g, c.in, out, inZero, o)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst := checkRun(t, what, s.Run, src, want)
			checkNoAllocs(t, what, func() { s.Run(dst, src) })
		}
	}
}

// TestShiftChannelOrder permutes the channels of an interleaved shift as
// the producing layer would (input channels, offsets and weight rows
// together): the permuted layer has 9 runs and the same outputs.
func TestShiftChannelOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	in, cout := kerneltest.Shape(1, 6, 6, 29), 12
	offsets := kerneltest.InterleavedShift(in.C)
	perm := q8.ShiftChannelOrder(offsets)
	seen := make([]bool, in.C)
	for _, c := range perm {
		if seen[c] {
			t.Fatalf("channel %d twice in %v", c, perm)
		}
		seen[c] = true
	}
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	out := kerneltest.Shape(1, 6, 6, cout)
	w := kerneltest.ConvRandomInt8s(rng, in.C*cout, -127, 127)
	bias := make([]int32, cout)
	src := &tensor.Int8{Shape: in, Data: kerneltest.ConvRandomInt8s(rng, in.Elems(), -128, 127)}
	o := kerneltest.ConvRandomOutput(rng, cout, in.C)
	want := kerneltest.ShiftReference(src, offsets, w, bias, g, out, 5, o)

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
	for _, p := range testPaths(t) {
		s, err := q8.NewShiftConv(p.k, pOffsets, pw, bias, g, in, out, 5, o)
		if err != nil {
			t.Fatal(err)
		}
		checkRun(t, fmt.Sprintf("%v permuted", p), s.Run, pSrc, want)
	}
}

// BenchmarkShiftConv is a ShiftResNet-20 stage-3 block's shift and second
// convolution, with its interleaved offsets and permuted into 9 runs.
func BenchmarkShiftConv(b *testing.B) {
	rng := rand.New(rand.NewPCG(6, 6))
	in, out := kerneltest.Shape(1, 8, 8, 64), kerneltest.Shape(1, 8, 8, 64)
	g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 1}
	w := kerneltest.ConvRandomInt8s(rng, in.C*out.C, -127, 127)
	src := &tensor.Int8{Shape: in, Data: kerneltest.ConvRandomInt8s(rng, in.Elems(), -128, 127)}
	o := kerneltest.ConvRandomOutput(rng, out.C, in.C)
	interleaved := kerneltest.InterleavedShift(in.C)
	grouped := make([]nn.Offset, in.C)
	for i, c := range q8.ShiftChannelOrder(interleaved) {
		grouped[i] = interleaved[c]
	}
	for _, p := range benchPaths(b) {
		for name, offsets := range map[string][]nn.Offset{"interleaved": interleaved, "runs": grouped} {
			s, err := q8.NewShiftConv(p.k, offsets, w, make([]int32, out.C), g, in, out, 0, o)
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
