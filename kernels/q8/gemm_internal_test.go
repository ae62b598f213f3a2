package q8

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/nn"
)

// TestConvInteriorColumns checks which output columns read a kernel row
// as one tap, for the K steps of the NEON (16) and AVX2 (4) GEMMs: those
// whose window is inside the image horizontally, when that reads fewer
// chunks.
func TestConvInteriorColumns(t *testing.T) {
	for _, c := range []struct {
		w, cin, k, stride, pad, dil int
		want                        map[int][2]int // chunk -> interior columns [from, to)
	}{
		{224, 3, 3, 2, 1, 1, map[int][2]int{16: {1, 112}, 4: {0, 0}}},   // EfficientNet's stem: 9 channels per row are 1 chunk of 16 or 3 of 4, as 3 pixels of 3
		{224, 3, 3, 2, 0, 1, map[int][2]int{16: {0, 111}, 4: {0, 111}}}, // SqueezeNet 1.1's: no padding, all interior
		{13, 3, 7, 2, 3, 1, map[int][2]int{16: {2, 5}, 4: {2, 5}}},      // 21 channels per row are 2 or 6 chunks, not 7
		{13, 64, 3, 1, 0, 1, map[int][2]int{16: {0, 11}, 4: {0, 11}}},   // no padding: rows, nothing to cut
		{13, 64, 3, 1, 1, 1, map[int][2]int{16: {0, 0}, 4: {0, 0}}},     // padding and whole-chunk pixels: rows would save no chunk
		{13, 24, 3, 1, 1, 1, map[int][2]int{16: {1, 12}, 4: {0, 0}}},    // 72 channels per row are 5 chunks of 16, not 6; 18 of 4 either way
		{13, 5, 3, 1, 1, 1, map[int][2]int{16: {1, 12}, 4: {1, 12}}},    // 15 channels per row are 1 or 4 chunks, not 3 or 6
		{2, 3, 3, 1, 1, 1, map[int][2]int{16: {0, 0}, 4: {0, 0}}},       // no interior column
		{9, 3, 3, 1, 2, 2, map[int][2]int{16: {0, 0}, 4: {0, 0}}},       // dilated: a tap per pixel
		{9, 3, 1, 1, 0, 1, map[int][2]int{16: {0, 0}, 4: {0, 0}}},       // 1x1: a tap per pixel already
	} {
		g := nn.ConvGeometry{KH: 1, KW: c.k, StrideH: 1, StrideW: c.stride, PadW: c.pad, DilH: 1, DilW: c.dil, Groups: 1}
		_, ow := g.OutSize(1, c.w)
		for chunk, want := range c.want {
			from, to := interiorColumns(g, kerneltest.Shape(1, 1, c.w, c.cin), kerneltest.Shape(1, 1, ow, 4), chunk)
			if from != want[0] || to != want[1] {
				t.Errorf("chunk %d, width %d, Cin %d, k %d, stride %d, pad %d, dilation %d: interior columns [%d, %d), want [%d, %d)",
					chunk, c.w, c.cin, c.k, c.stride, c.pad, c.dil, from, to, want[0], want[1])
			}
		}
	}
}

// TestShiftTaps checks the choice between runs and masked taps by the
// chunks each reads, for the K steps of the NEON (16) and AVX2 (4) GEMMs.
func TestShiftTaps(t *testing.T) {
	type taps struct {
		name    string
		offsets []nn.Offset
		taps    int
		masked  bool
	}
	for chunk, cases := range map[int][]taps{
		16: {
			{"grouped 3x3 of 144", kerneltest.GroupedShift(144, 3), 9, false}, // 9 runs of 16: 9 chunks
			{"interleaved 64", kerneltest.InterleavedShift(64), 9, true},      // 9 x 4 chunks, not 55
			{"interleaved 16", kerneltest.InterleavedShift(16), 9, true},      // 9 x 1, not 10
			{"one offset", make([]nn.Offset, 40), 1, false},                   // a plain 1x1
			{"1x1 window", kerneltest.GroupedShift(16, 1), 1, false},          // nothing moves
			{"interleaved 9", kerneltest.InterleavedShift(9), 9, false},       // 9 runs of 1 = 9 chunks, masked is no fewer
		},
		4: {
			{"grouped 3x3 of 144", kerneltest.GroupedShift(144, 3), 9, false},     // 9 runs of 16: 9 chunks
			{"interleaved 64", kerneltest.InterleavedShift(64), 64, false},        // 64 runs of 1 chunk, not 9 x 16
			{"interleaved 16", kerneltest.InterleavedShift(16), 10, false},        // 10 runs, not 9 x 4
			{"two offsets alternating", kerneltest.AlternatingShift(16), 2, true}, // 2 x 4 chunks, not 16
			{"one offset", make([]nn.Offset, 40), 1, false},                       // a plain 1x1
			{"1x1 window", kerneltest.GroupedShift(16, 1), 1, false},              // nothing moves
			{"interleaved 9", kerneltest.InterleavedShift(9), 9, false},           // 9 runs of 1 = 9 chunks, masked is no fewer
		},
	} {
		for _, c := range cases {
			got := shiftTaps(c.offsets, chunk)
			if len(got) != c.taps || got[0].masked != c.masked {
				t.Errorf("chunk %d, %s: %d taps, masked %v; want %d, %v", chunk, c.name, len(got), got[0].masked, c.taps, c.masked)
			}
		}
	}
}
