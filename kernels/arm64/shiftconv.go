package arm64

import (
	"fmt"

	"neonet.dev/neonet/kernels"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/tensor"
)

// ShiftConv is a shift (Wu et al. 2018) fused into the 1x1 convolution
// that follows it, equivalent bit for bit to
//
//	q8.Shift(tmp, src, offsets, int8(inZero))
//	q8.Conv2D(dst, tmp, w, bias, g, inZero, o, acc)   // 1x1
//
// without the shifted tensor: channels that move by the same offset and
// are adjacent form one run, and each run is a tap of the indirect GEMM,
// its indirection entry pointing at the shifted pixel's run (or at the
// zero row when the shifted pixel is outside the image). The shift costs
// neither arithmetic nor a copy.
//
// Cost: a run is read in chunks of 16 channels, so many short runs waste
// work. Grouped shifts (kernel*kernel runs of C/9 channels, ShiftNet-A)
// suit it; interleaved shifts (every channel its own run, ShiftResNet-20's
// trained weights) make each channel a tap and run several times slower
// than a plain 1x1 convolution of the same size.
type ShiftConv struct {
	path    Path
	geo     kernels.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8.Output
	offsets []kernels.Offset // Ref
	w       []int8           // Ref
	bias    []int32          // Ref
	shifted *tensor.Int8     // Ref: the shifted input
	acc     []int32          // Ref
	gemm    *gemmPlan
}

// NewShiftConv builds the fused layer: offsets has one entry per input
// channel, w is the 1x1 convolution's weights ([1][1][Cin][Cout]), g its
// geometry (1x1, any stride and padding, groups 1).
func NewShiftConv(p Path, offsets []kernels.Offset, w []int8, bias []int32, g kernels.ConvGeometry, in, out tensor.Shape, inZero int32, o q8.Output) (*ShiftConv, error) {
	if g.KH != 1 || g.KW != 1 {
		return nil, fmt.Errorf("shiftconv: %dx%d kernel, want 1x1", g.KH, g.KW)
	}
	if len(offsets) != in.C {
		return nil, fmt.Errorf("shiftconv: %d offsets for %d channels", len(offsets), in.C)
	}
	// NewConv checks everything else, and its Ref layer is never run.
	if _, err := NewConv(Ref, w, bias, g, in, out, inZero, o); err != nil {
		return nil, fmt.Errorf("shift%w", err)
	}
	if err := convCheckPath(p); err != nil {
		return nil, err
	}
	s := &ShiftConv{path: p, geo: g, in: in, out: out, inZero: inZero, output: o}
	if p == Ref {
		s.offsets, s.w, s.bias = offsets, w, bias
		s.shifted, s.acc = tensor.NewInt8(in), make([]int32, out.C)
		return s, nil
	}
	var starts, kcs []int32 // the runs: first channel, length
	for c := range offsets {
		if c == 0 || offsets[c] != offsets[c-1] {
			starts, kcs = append(starts, int32(c)), append(kcs, 0)
		}
		kcs[len(kcs)-1]++
	}
	ind := make([]int32, 0, out.N*out.H*out.W*len(kcs))
	for n := range out.N {
		for oy := range out.H {
			for ox := range out.W {
				// The convolution reads the shifted tensor at (iy, ix), which
				// is the input at (iy+dy, ix+dx); either may be outside.
				iy, ix := oy*g.StrideH-g.PadH, ox*g.StrideW-g.PadW
				for i, start := range starts {
					d := offsets[start]
					sy, sx := iy+d.DY, ix+d.DX
					off := int32(-1)
					if iy >= 0 && iy < in.H && ix >= 0 && ix < in.W && sy >= 0 && sy < in.H && sx >= 0 && sx < in.W {
						off = int32(((n*in.H+sy)*in.W+sx)*in.C) + starts[i]
					}
					ind = append(ind, off)
				}
			}
		}
	}
	weight := func(t, k, o int) int8 { return w[(int(starts[t])+k)*out.C+o] }
	s.gemm = newGemmPlan(p, kcs, ind, out.C, weight, bias, inZero, convOutput{o})
	return s, nil
}

// Run computes the shifted convolution of src into dst. It allocates
// nothing; on the NEON paths it may run concurrently with itself.
func (s *ShiftConv) Run(dst, src *tensor.Int8) {
	convCheckTensors("ShiftConv", dst, src, s.out, s.in)
	if s.path == Ref {
		q8.Shift(s.shifted, src, s.offsets, int8(s.inZero))
		q8.Conv2D(dst, s.shifted, s.w, s.bias, s.geo, s.inZero, s.output, s.acc)
		return
	}
	s.gemm.run(dst.Data, src.Data, 0, s.out.N*s.out.H*s.out.W)
}

// ShiftChannelOrder returns a permutation of the channels that makes
// channels with equal offsets adjacent (in order of first appearance,
// stable within an offset). Shifts whose offsets interleave channel by
// channel become 9 runs: apply perm to the output channels of the layer
// that produces the shifted tensor (weights, bias, multipliers) and to
// this layer's input channels (offsets[perm[i]], weight rows perm[i]), and
// the network computes the same values with a fast ShiftConv.
func ShiftChannelOrder(offsets []kernels.Offset) (perm []int) {
	first := map[kernels.Offset]int{} // offset -> its group's index
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
