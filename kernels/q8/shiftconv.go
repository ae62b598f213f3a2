package q8

import (
	"fmt"

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
// Cost: a run is read in chunks of the GEMM's K step (16 channels on the
// NEON paths, 4 on AVX2), so many short runs waste work. Grouped shifts
// (kernel*kernel runs of C/9 channels, ShiftNet-A) suit it. Interleaved
// shifts (every channel its own run, ShiftResNet-20's trained weights)
// become, where that reads fewer chunks, one tap per distinct offset that
// reads every channel, with zero weights for the channels of other taps:
// 9 times the multiplies of the plain 1x1 convolution. ShiftChannelOrder
// gives the channel permutation that turns them into runs.
type ShiftConv struct {
	geo     nn.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8ref.Output
	offsets []nn.Offset  // reference
	w       []int8       // reference
	bias    []int32      // reference
	shifted *tensor.Int8 // reference: the shifted input
	acc     []int32      // reference
	gemm    gemmPlan     // nil on the reference
}

// NewShiftConv builds the fused layer on the kernels k (nil: the
// reference): offsets has one entry per input channel, w is the 1x1
// convolution's weights ([1][1][Cin][Cout]), g its geometry (1x1, any
// stride and padding, groups 1).
func NewShiftConv(k *Kernels, offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*ShiftConv, error) {
	if g.KH != 1 || g.KW != 1 {
		return nil, fmt.Errorf("shiftconv: %dx%d kernel, want 1x1", g.KH, g.KW)
	}
	if len(offsets) != in.C {
		return nil, fmt.Errorf("shiftconv: %d offsets for %d channels", len(offsets), in.C)
	}
	// NewConv checks everything else, and its reference layer is never run.
	if _, err := NewConv(nil, w, bias, g, in, out, inZero, o); err != nil {
		return nil, fmt.Errorf("shift%w", err)
	}
	s := &ShiftConv{geo: g, in: in, out: out, inZero: inZero, output: o}
	if k == nil {
		s.offsets, s.w, s.bias = offsets, w, bias
		s.shifted, s.acc = tensor.NewInt8(in), make([]int32, out.C)
		return s, nil
	}
	taps := shiftTaps(offsets, k.GEMM.chunk())
	kcs := make([]int32, len(taps))
	for t, tap := range taps {
		kcs[t] = tap.count
	}
	ind := make([]int32, 0, out.N*out.H*out.W*len(taps))
	for n := range out.N {
		for oy := range out.H {
			for ox := range out.W {
				// The convolution reads the shifted tensor at (iy, ix), which
				// is the input at (iy+dy, ix+dx); either may be outside.
				iy, ix := oy*g.StrideH-g.PadH, ox*g.StrideW-g.PadW
				for _, tap := range taps {
					sy, sx := iy+tap.offset.DY, ix+tap.offset.DX
					off := int32(-1)
					if iy >= 0 && iy < in.H && ix >= 0 && ix < in.W && sy >= 0 && sy < in.H && sx >= 0 && sx < in.W {
						off = int32(((n*in.H+sy)*in.W+sx)*in.C) + tap.start
					}
					ind = append(ind, off)
				}
			}
		}
	}
	weight := func(t, k, o int) int8 {
		tap := taps[t]
		c := int(tap.start) + k
		if tap.masked && offsets[c] != tap.offset {
			return 0 // another tap reads this channel
		}
		return w[c*out.C+o]
	}
	s.gemm = k.GEMM.plan(kcs, ind, out.C, weight, bias, inZero, o)
	return s, nil
}

// Run computes the shifted convolution of src into dst. It allocates
// nothing; with a kernel set it may run concurrently with itself.
func (s *ShiftConv) Run(dst, src *tensor.Int8) {
	checkTensors("ShiftConv", dst, src, s.out, s.in)
	if s.gemm == nil {
		q8ref.Shift(s.shifted, src, s.offsets, int8(s.inZero))
		q8ref.Conv2D(dst, s.shifted, s.w, s.bias, s.geo, s.inZero, s.output, s.acc)
		return
	}
	s.gemm.run(dst.Data, src.Data, 0, s.out.N*s.out.H*s.out.W, s.out.C, 0)
}

// shiftTap is one tap of a ShiftConv's GEMM: count channels from start,
// read at offset. A masked tap reads all channels and its weights are
// zero for channels that move by another offset.
type shiftTap struct {
	offset       nn.Offset
	start, count int32
	masked       bool
}

// shiftTaps chooses the taps: one per run of adjacent channels with equal
// offsets, or, when that reads fewer chunks of chunk channels, one masked
// tap per distinct offset (interleaved shifts: 9 taps of C channels rather
// than C taps of one).
func shiftTaps(offsets []nn.Offset, chunk int) []shiftTap {
	chunks := func(n int) int { return (n + chunk - 1) / chunk }
	var runs, masked []shiftTap
	runChunks := 0
	for c, d := range offsets {
		if c == 0 || d != offsets[c-1] {
			runs = append(runs, shiftTap{offset: d, start: int32(c)})
		}
		runs[len(runs)-1].count++
	}
	for _, r := range runs {
		runChunks += chunks(int(r.count))
	}
	seen := map[nn.Offset]bool{}
	for _, d := range offsets {
		if !seen[d] {
			seen[d] = true
			masked = append(masked, shiftTap{offset: d, count: int32(len(offsets)), masked: true})
		}
	}
	if len(masked)*chunks(len(offsets)) < runChunks {
		return masked
	}
	return runs
}

// ShiftChannelOrder returns a permutation of the channels that makes
// channels with equal offsets adjacent (in order of first appearance,
// stable within an offset). Shifts whose offsets interleave channel by
// channel become 9 runs: apply perm to the output channels of the layer
// that produces the shifted tensor (weights, bias, multipliers) and to
// this layer's input channels (offsets[perm[i]], weight rows perm[i]), and
// the network computes the same values with a fast ShiftConv.
func ShiftChannelOrder(offsets []nn.Offset) (perm []int) {
	first := map[nn.Offset]int{} // offset -> its group's index
	var groups [][]int
	for c, d := range offsets {
		g, ok := first[d]
		if !ok {
			g = len(groups)
			first[d] = g
			groups = append(groups, nil)
		}
		groups[g] = append(groups[g], c)
	}
	for _, g := range groups {
		perm = append(perm, g...)
	}
	return perm
}
