package arm64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Every GEMM-based layer is compared byte for byte with the q8 reference
// on every path this CPU supports, on shapes that leave channel tails
// (Cin not a multiple of 16), column tails (Cout not a multiple of 8 or
// 16) and row tails (pixels not a multiple of 2 or 4). Outputs sit inside
// a buffer of sentinels that must come back untouched.

// gemmLayers is this package's GEMM layers, for the tests they share with
// the other architecture's package (kernels/internal/kerneltest).
var gemmLayers = kerneltest.Layers{
	Paths: convPaths,
	Fast:  NEON,
	NewConv: func(p Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (kerneltest.Conv, error) {
		return NewConv(p, w, bias, g, in, out, inZero, o)
	},
	NewLinear: func(p Path, w []int8, bias []int32, in, out tensor.Shape, o q8ref.Output) (kerneltest.Layer, error) {
		return NewLinear(p, w, bias, in, out, o)
	},
	NewShiftConv: func(p Path, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (kerneltest.Layer, error) {
		return NewShiftConv(p, offsets, w, bias, g, in, out, inZero, o)
	},
	ShiftChannelOrder: ShiftChannelOrder,
}

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

var convCases = []kerneltest.ConvCase{
	kerneltest.NewConvCase(kerneltest.Shape(1, 5, 7, 16), 16, 1, 1, 1, 0, 1),  // whole chunks and tiles
	kerneltest.NewConvCase(kerneltest.Shape(1, 3, 5, 1), 1, 1, 1, 1, 0, 1),    // one channel in, one out
	kerneltest.NewConvCase(kerneltest.Shape(1, 4, 3, 17), 33, 1, 1, 1, 0, 1),  // tail of 1 channel; Cout 33
	kerneltest.NewConvCase(kerneltest.Shape(2, 3, 3, 31), 3, 1, 1, 1, 0, 1),   // tail of 15 (8+4+2+1)
	kerneltest.NewConvCase(kerneltest.Shape(1, 7, 5, 6), 9, 1, 1, 2, 0, 1),    // 1x1 stride 2, tail 4+2
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
}

// TestConvInteriorColumns checks which output columns read a kernel row
// as one tap: those whose window is inside the image horizontally.
func TestConvInteriorColumns(t *testing.T) {
	for _, c := range []struct {
		w, cin, k, stride, pad, dil int
		from, to                    int
	}{
		{224, 3, 3, 2, 1, 1, 1, 112}, // EfficientNet's stem: 112 columns, only column 0 pads
		{224, 3, 3, 2, 0, 1, 0, 111}, // SqueezeNet 1.1's: no padding, all interior
		{13, 3, 7, 2, 3, 1, 2, 5},
		{13, 64, 3, 1, 0, 1, 0, 11}, // no padding: rows, nothing to cut
		{13, 64, 3, 1, 1, 1, 0, 0},  // padding and 16-channel pixels: rows would save no chunk
		{13, 24, 3, 1, 1, 1, 1, 12}, // 72 channels per row are 5 chunks, not 6
		{2, 3, 3, 1, 1, 1, 0, 0},    // no interior column
		{9, 3, 3, 1, 2, 2, 0, 0},    // dilated: a tap per pixel
		{9, 3, 1, 1, 0, 1, 0, 0},    // 1x1: a tap per pixel already
	} {
		g := nn.ConvGeometry{KH: 1, KW: c.k, StrideH: 1, StrideW: c.stride, PadW: c.pad, DilH: 1, DilW: c.dil, Groups: 1}
		_, ow := g.OutSize(1, c.w)
		in, out := kerneltest.Shape(1, 1, c.w, c.cin), kerneltest.Shape(1, 1, ow, 4)
		conv, err := NewConv(NEON, make([]int8, c.k*c.cin*4), make([]int32, 4), g, in, out, 0, q8ref.Output{Multipliers: []float32{1}, Lo: -128, Hi: 127})
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
	g := nn.ConvGeometry{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1}
	w, bias := make([]int8, 9*8*8), make([]int32, 8)
	o := q8ref.Output{Multipliers: []float32{0.01}, Lo: -128, Hi: 127}
	if _, err := NewConv(NEON, w, bias, g, in, out, 0, o); err != nil {
		t.Fatalf("valid layer rejected: %v", err)
	}
	grouped := g
	grouped.Groups = 2
	bad := []struct {
		what string
		err  func() error
	}{
		{"groups", func() error { _, err := NewConv(NEON, w[:len(w)/2], bias, grouped, in, out, 0, o); return err }},
		{"output shape", func() error { _, err := NewConv(NEON, w, bias, g, in, kerneltest.Shape(1, 3, 4, 8), 0, o); return err }},
		{"weights", func() error { _, err := NewConv(NEON, w[1:], bias, g, in, out, 0, o); return err }},
		{"multipliers", func() error {
			_, err := NewConv(NEON, w, bias, g, in, out, 0, q8ref.Output{Multipliers: []float32{1, 2}, Lo: -128, Hi: 127})
			return err
		}},
		{"bounds", func() error {
			_, err := NewConv(NEON, w, bias, g, in, out, 0, q8ref.Output{Multipliers: []float32{1}, Lo: 5, Hi: 4})
			return err
		}},
		{"path", func() error { _, err := NewConv(Path(9), w, bias, g, in, out, 0, o); return err }},
	}
	for _, b := range bad {
		if b.err() == nil {
			t.Errorf("%s: no error", b.what)
		}
	}
}

func TestConvMatchesReference(t *testing.T) {
	kerneltest.ConvMatchesReference(t, gemmLayers, convCases)
}

func TestConvRunRangeConcurrently(t *testing.T) { kerneltest.ConvRunRangeConcurrently(t, gemmLayers) }

func TestConvRoundsTiesToEven(t *testing.T) { kerneltest.ConvRoundsTiesToEven(t, gemmLayers) }

func TestGemmLayersAllocateNothing(t *testing.T) { kerneltest.GemmLayersAllocateNothing(t, gemmLayers) }

func BenchmarkConv(b *testing.B) { kerneltest.BenchConv(b, gemmLayers) }
