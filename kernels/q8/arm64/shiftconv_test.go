package arm64

import (
	"testing"

	"neonet.dev/neonet/kernels/internal/igemm"
	"neonet.dev/neonet/kernels/internal/kerneltest"
	"neonet.dev/neonet/nn"
)

func TestShiftConvMatchesReference(t *testing.T) { kerneltest.ShiftConvMatchesReference(t, gemmLayers) }

// TestShiftTaps checks the choice between runs and masked taps by the
// 16-channel chunks each reads.
func TestShiftTaps(t *testing.T) {
	for _, c := range []struct {
		name    string
		offsets []nn.Offset
		taps    int
		masked  bool
	}{
		{"grouped 3x3 of 144", kerneltest.GroupedShift(144, 3), 9, false}, // 9 runs of 16: 9 chunks
		{"interleaved 64", kerneltest.InterleavedShift(64), 9, true},      // 9 x 4 chunks, not 55
		{"interleaved 16", kerneltest.InterleavedShift(16), 9, true},      // 9 x 1, not 10
		{"one offset", make([]nn.Offset, 40), 1, false},                   // a plain 1x1
		{"1x1 window", kerneltest.GroupedShift(16, 1), 1, false},          // nothing moves
		{"interleaved 9", kerneltest.InterleavedShift(9), 9, false},       // 9 runs of 1 = 9 chunks, masked is no fewer
	} {
		taps := igemm.ShiftTaps(c.offsets, gemmChunk)
		if len(taps) != c.taps || taps[0].Masked != c.masked {
			t.Errorf("%s: %d taps, masked %v; want %d, %v", c.name, len(taps), taps[0].Masked, c.taps, c.masked)
		}
	}
}

func TestShiftChannelOrder(t *testing.T) { kerneltest.ShiftChannelOrder(t, gemmLayers) }

func BenchmarkShiftConv(b *testing.B) { kerneltest.BenchShiftConv(b, gemmLayers) }
