package arm64

import (
	"neonet.dev/neonet/kernels/internal/igemm"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// ShiftConv is a shift (Wu et al. 2018) fused into the 1x1 convolution
// that follows it, equivalent bit for bit to
//
//	q8ref.Shift(tmp, src, offsets, int8(inZero))
//	q8ref.Conv2D(dst, tmp, w, bias, g, inZero, o, acc)   // 1x1
//
// without the shifted tensor: channels that move by the same offset and
// are adjacent form one run, and each run is a tap of the indirect GEMM,
// its indirection entry pointing at the shifted pixel's run (or at the
// zero row when the shifted pixel is outside the image). The shift costs
// neither arithmetic nor a copy.
//
// Cost: a run is read in chunks of 16 channels, so many short runs waste
// work. Grouped shifts (kernel*kernel runs of C/9 channels, ShiftNet-A)
// suit it. Interleaved shifts (every channel its own run, ShiftResNet-20's
// trained weights) become one tap per distinct offset that reads every
// channel, with zero weights for the channels of other taps: 9 times the
// multiplies of the plain 1x1 convolution. ShiftChannelOrder gives the
// channel permutation that turns them into runs.
type ShiftConv struct {
	s *igemm.ShiftConv[gemmClamp]
}

// NewShiftConv builds the fused layer: offsets has one entry per input
// channel, w is the 1x1 convolution's weights ([1][1][Cin][Cout]), g its
// geometry (1x1, any stride and padding, groups 1).
func NewShiftConv(p Path, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*ShiftConv, error) {
	checkPath := func() error { return convCheckPath(p) }
	s, err := igemm.NewShiftConv("arm64", checkPath, gemmArchs[p], offsets, w, bias, g, in, out, inZero, o)
	if err != nil {
		return nil, err
	}
	return &ShiftConv{s}, nil
}

// Run computes the shifted convolution of src into dst. It allocates
// nothing; on the NEON paths it may run concurrently with itself.
func (s *ShiftConv) Run(dst, src *tensor.Int8) { s.s.Run(dst, src) }

// ShiftChannelOrder returns a permutation of the channels that makes
// channels with equal offsets adjacent (in order of first appearance,
// stable within an offset). Shifts whose offsets interleave channel by
// channel become 9 runs: apply perm to the output channels of the layer
// that produces the shifted tensor (weights, bias, multipliers) and to
// this layer's input channels (offsets[perm[i]], weight rows perm[i]), and
// the network computes the same values with a fast ShiftConv.
func ShiftChannelOrder(offsets []nn.Offset) (perm []int) {
	return igemm.ShiftChannelOrder(offsets)
}
