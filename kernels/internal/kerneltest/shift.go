package kerneltest

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// ShiftCase is a ShiftConv to test: a 1x1 convolution of cout channels
// with stride and padding after the shift by offsets.
type ShiftCase struct {
	Name        string
	In          tensor.Shape
	Cout        int
	Stride, Pad int
	Offsets     []nn.Offset
}

// ShiftConvMatchesReference compares ShiftConv with the unfused pair on
// grouped, interleaved and random shifts; extra cases run after the
// interleaved one.
func ShiftConvMatchesReference(t *testing.T, k Layers, extra ...ShiftCase) {
	rng := rand.New(rand.NewPCG(9, 4))
	paths := k.Paths(t)
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
	cases := []ShiftCase{
		{"grouped 3x3", Shape(1, 6, 7, 36), 20, 1, 0, GroupedShift(36, 3)},
		{"grouped 5x5 stride 2", Shape(1, 9, 8, 53), 17, 2, 0, GroupedShift(53, 5)},
		{"interleaved", Shape(2, 5, 5, 20), 16, 1, 0, InterleavedShift(20)},
	}
	cases = append(cases, extra...)
	cases = append(cases, []ShiftCase{
		{"interleaved stride 2", Shape(1, 8, 8, 32), 33, 2, 0, InterleavedShift(32)},
		{"random runs, padding", Shape(1, 5, 6, 27), 9, 1, 1, random(27)},
		{"random runs, stride 2", Shape(1, 7, 7, 40), 3, 2, 0, random(40)},
	}...)
	for _, c := range cases {
		g := nn.ConvGeometry{KH: 1, KW: 1, StrideH: c.Stride, StrideW: c.Stride, PadH: c.Pad, PadW: c.Pad, DilH: 1, DilW: 1, Groups: 1}
		oh, ow := g.OutSize(c.In.H, c.In.W)
		out := Shape(c.In.N, oh, ow, c.Cout)
		w := ConvRandomInt8s(rng, c.In.C*c.Cout, -127, 127)
		bias := make([]int32, c.Cout)
		for i := range bias {
			bias[i] = int32(rng.IntN(20001) - 10000)
		}
		src := &tensor.Int8{Shape: c.In, Data: ConvRandomInt8s(rng, c.In.Elems(), -128, 127)}
		inZero := int32(rng.IntN(256) - 128)
		o := ConvRandomOutput(rng, c.Cout, c.In.C)
		want := ShiftReference(src, c.Offsets, w, bias, g, out, inZero, o)
		for _, p := range paths {
			what := fmt.Sprintf("%v %s", p, c.Name)
			s, err := k.NewShiftConv(p, c.Offsets, w, bias, g, c.In, out, inZero, o)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst, whole := ConvGuarded(out)
			s.Run(dst, src)
			ConvCompare(t, what, dst.Data, want.Data)
			ConvCheckGuards(t, what, whole)
			if n := testing.AllocsPerRun(3, func() { s.Run(dst, src) }); n != 0 {
				t.Errorf("%s: Run allocates %v times", what, n)
			}
		}
	}
}
