package kerneltest

import (
	"math/rand/v2"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// ShiftReference is the unfused pair: shift into a copy, then the 1x1
// convolution.
func ShiftReference(src *tensor.Int8, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, out tensor.Shape, inZero int32, o q8ref.Output) *tensor.Int8 {
	shifted := tensor.NewInt8(src.Shape)
	q8ref.Shift(shifted, src, offsets, int8(inZero))
	want := tensor.NewInt8(out)
	q8ref.Conv2D(want, shifted, w, bias, g, inZero, o, make([]int32, out.C))
	return want
}

// InterleavedShift and GroupedShift are the shift networks' two ways of
// giving channels offsets.
var (
	InterleavedShift = nn.InterleavedShift
	GroupedShift     = nn.GroupedShift
)

// AlternatingShift moves even channels right and odd channels down.
func AlternatingShift(channels int) []nn.Offset {
	offs := make([]nn.Offset, channels)
	for c := range offs {
		offs[c] = nn.Offset{DY: c % 2, DX: 1 - c%2}
	}
	return offs
}

// EltLengths are the lengths the elementwise and lookup-table tests sweep.
var EltLengths = []int{0, 1, 15, 16, 17, 31, 48, 63, 64, 65, 79, 127, 128, 200, 1027}

func LUTRandomTable(rng *rand.Rand) *[256]int8 {
	var t [256]int8
	for i := range t {
		t[i] = int8(rng.IntN(256))
	}
	return &t
}

// PoolShapes and PoolGeometries are what the pool tests sweep.
var PoolShapes = []tensor.Shape{
	{N: 1, H: 5, W: 5, C: 1}, {N: 2, H: 6, W: 7, C: 3}, {N: 1, H: 7, W: 9, C: 15},
	{N: 1, H: 4, W: 4, C: 16}, {N: 2, H: 5, W: 6, C: 17}, {N: 1, H: 9, W: 8, C: 33},
	{N: 1, H: 13, W: 13, C: 96}, {N: 1, H: 3, W: 2, C: 40},
}

var PoolGeometries = []nn.PoolGeometry{
	{KH: 3, KW: 3, StrideH: 2, StrideW: 2},
	{KH: 3, KW: 3, StrideH: 2, StrideW: 2, CeilMode: true}, // SqueezeNet
	{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, CountIncludePad: true},
	{KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1},
	{KH: 2, KW: 3, StrideH: 2, StrideW: 1, PadH: 1, PadW: 0, CeilMode: true, CountIncludePad: true},
	{KH: 2, KW: 2, StrideH: 2, StrideW: 2},
	{KH: 5, KW: 5, StrideH: 3, StrideW: 3, PadH: 2, PadW: 2, CeilMode: true},
}
