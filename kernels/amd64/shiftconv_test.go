package amd64

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"neonet.dev/neonet/kernels"
	"neonet.dev/neonet/kernels/internal/igemm"
	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/tensor"
)

func TestShiftConvMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	paths := convPaths(t)
	random := func(channels int) []kernels.Offset {
		offsets := make([]kernels.Offset, channels)
		for c := range offsets {
			if c == 0 || rng.IntN(3) == 0 { // runs of random length
				offsets[c] = kernels.Offset{DY: rng.IntN(5) - 2, DX: rng.IntN(5) - 2}
			} else {
				offsets[c] = offsets[c-1]
			}
		}
		return offsets
	}
	for _, c := range []struct {
		name        string
		in          tensor.Shape
		cout        int
		stride, pad int
		offsets     []kernels.Offset
	}{
		{"grouped 3x3", kerneltest.Shape(1, 6, 7, 36), 20, 1, 0, kerneltest.GroupedShift(36, 3)},
		{"grouped 5x5 stride 2", kerneltest.Shape(1, 9, 8, 53), 17, 2, 0, kerneltest.GroupedShift(53, 5)},
		{"interleaved", kerneltest.Shape(2, 5, 5, 20), 16, 1, 0, kerneltest.InterleavedShift(20)},
		{"alternating: masked taps", kerneltest.Shape(1, 6, 5, 14), 11, 1, 0, kerneltest.AlternatingShift(14)},
		{"interleaved stride 2", kerneltest.Shape(1, 8, 8, 32), 33, 2, 0, kerneltest.InterleavedShift(32)},
		{"random runs, padding", kerneltest.Shape(1, 5, 6, 27), 9, 1, 1, random(27)},
		{"random runs, stride 2", kerneltest.Shape(1, 7, 7, 40), 3, 2, 0, random(40)},
	} {
		g := kernels.ConvGeometry{KH: 1, KW: 1, StrideH: c.stride, StrideW: c.stride, PadH: c.pad, PadW: c.pad, DilH: 1, DilW: 1, Groups: 1}
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
			s, err := NewShiftConv(p, c.offsets, w, bias, g, c.in, out, inZero, o)
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			dst, whole := kerneltest.ConvGuarded(out)
			s.Run(dst, src)
			kerneltest.ConvCompare(t, what, dst.Data, want.Data)
			kerneltest.ConvCheckGuards(t, what, whole)
			if n := testing.AllocsPerRun(3, func() { s.Run(dst, src) }); n != 0 {
				t.Errorf("%s: Run allocates %v times", what, n)
			}
		}
	}
}

// TestShiftTaps checks the choice between runs and masked taps by the
// 4-channel chunks each reads.
func TestShiftTaps(t *testing.T) {
	for _, c := range []struct {
		name    string
		offsets []kernels.Offset
		taps    int
		masked  bool
	}{
		{"grouped 3x3 of 144", kerneltest.GroupedShift(144, 3), 9, false},     // 9 runs of 16: 9 chunks
		{"interleaved 64", kerneltest.InterleavedShift(64), 64, false},        // 64 runs of 1 chunk, not 9 x 16
		{"interleaved 16", kerneltest.InterleavedShift(16), 10, false},        // 10 runs, not 9 x 4
		{"two offsets alternating", kerneltest.AlternatingShift(16), 2, true}, // 2 x 4 chunks, not 16
		{"one offset", make([]kernels.Offset, 40), 1, false},                  // a plain 1x1
		{"1x1 window", kerneltest.GroupedShift(16, 1), 1, false},              // nothing moves
		{"interleaved 9", kerneltest.InterleavedShift(9), 9, false},           // 9 runs of 1 = 9 chunks, masked is no fewer
	} {
		taps := igemm.ShiftTaps(c.offsets, gemmChunk)
		if len(taps) != c.taps || taps[0].Masked != c.masked {
			t.Errorf("%s: %d taps, masked %v; want %d, %v", c.name, len(taps), taps[0].Masked, c.taps, c.masked)
		}
	}
}

func TestShiftChannelOrder(t *testing.T) { kerneltest.ShiftChannelOrder(t, gemmLayers) }

func BenchmarkShiftConv(b *testing.B) { kerneltest.BenchShiftConv(b, gemmLayers) }
