package igemm

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// ShiftConv is the shared body of the packages' ShiftConv: a shift fused
// into the 1x1 convolution that follows it, bit for bit q8ref.Shift then
// q8ref.Conv2D. Each run of adjacent channels with one offset is a tap of the
// indirect GEMM. See kernels/q8/amd64.ShiftConv.
type ShiftConv[R any] struct {
	pkg     string
	geo     nn.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8ref.Output
	offsets []nn.Offset  // Ref
	w       []int8       // Ref
	bias    []int32      // Ref
	shifted *tensor.Int8 // Ref: the shifted input
	acc     []int32      // Ref
	gemm    *Plan[R]     // nil on Ref
}

// NewShiftConv checks and builds the fused layer for package pkg: offsets
// has one entry per input channel, w is the 1x1 convolution's weights
// ([1][1][Cin][Cout]), g its geometry. checkPath checks the path once
// everything else is; a nil a builds the reference.
func NewShiftConv[R any](pkg string, checkPath func() error, a *Arch[R], offsets []nn.Offset, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*ShiftConv[R], error) {
	if g.KH != 1 || g.KW != 1 {
		return nil, fmt.Errorf("shiftconv: %dx%d kernel, want 1x1", g.KH, g.KW)
	}
	if len(offsets) != in.C {
		return nil, fmt.Errorf("shiftconv: %d offsets for %d channels", len(offsets), in.C)
	}
	// NewConv checks everything else, and its Ref layer is never run.
	if _, err := NewConv[R](pkg, nil, w, bias, g, in, out, inZero, o); err != nil {
		return nil, fmt.Errorf("shift%w", err)
	}
	if err := checkPath(); err != nil {
		return nil, err
	}
	s := &ShiftConv[R]{pkg: pkg, geo: g, in: in, out: out, inZero: inZero, output: o}
	if a == nil {
		s.offsets, s.w, s.bias = offsets, w, bias
		s.shifted, s.acc = tensor.NewInt8(in), make([]int32, out.C)
		return s, nil
	}
	taps := ShiftTaps(offsets, a.Chunk)
	kcs := make([]int32, len(taps))
	for t, tap := range taps {
		kcs[t] = tap.Count
	}
	ind := make([]int32, 0, out.N*out.H*out.W*len(taps))
	for n := range out.N {
		for oy := range out.H {
			for ox := range out.W {
				// The convolution reads the shifted tensor at (iy, ix), which
				// is the input at (iy+dy, ix+dx); either may be outside.
				iy, ix := oy*g.StrideH-g.PadH, ox*g.StrideW-g.PadW
				for _, tap := range taps {
					sy, sx := iy+tap.Offset.DY, ix+tap.Offset.DX
					off := int32(-1)
					if iy >= 0 && iy < in.H && ix >= 0 && ix < in.W && sy >= 0 && sy < in.H && sx >= 0 && sx < in.W {
						off = int32(((n*in.H+sy)*in.W+sx)*in.C) + tap.Start
					}
					ind = append(ind, off)
				}
			}
		}
	}
	weight := func(t, k, o int) int8 {
		tap := taps[t]
		c := int(tap.Start) + k
		if tap.Masked && offsets[c] != tap.Offset {
			return 0 // another tap reads this channel
		}
		return w[c*out.C+o]
	}
	s.gemm = NewPlan(a, kcs, ind, out.C, weight, bias, inZero, o)
	return s, nil
}

// Run computes the shifted convolution of src into dst.
func (s *ShiftConv[R]) Run(dst, src *tensor.Int8) {
	CheckTensors(s.pkg, "ShiftConv", dst, src, s.out, s.in)
	if s.gemm == nil {
		q8ref.Shift(s.shifted, src, s.offsets, int8(s.inZero))
		q8ref.Conv2D(dst, s.shifted, s.w, s.bias, s.geo, s.inZero, s.output, s.acc)
		return
	}
	s.gemm.Run(dst.Data, src.Data, 0, s.out.N*s.out.H*s.out.W)
}

// ShiftTap is one tap of a ShiftConv's GEMM: Count channels from Start,
// read at Offset. A Masked tap reads all channels and its weights are
// zero for channels that move by another offset.
type ShiftTap struct {
	Offset       nn.Offset
	Start, Count int32
	Masked       bool
}

// ShiftTaps chooses the taps: one per run of adjacent channels with equal
// offsets, or, when that reads fewer chunks of chunk channels, one masked
// tap per distinct offset (interleaved shifts: 9 taps of C channels rather
// than C taps of one).
func ShiftTaps(offsets []nn.Offset, chunk int) []ShiftTap {
	chunks := func(n int) int { return (n + chunk - 1) / chunk }
	var runs, masked []ShiftTap
	runChunks := 0
	for c, d := range offsets {
		if c == 0 || d != offsets[c-1] {
			runs = append(runs, ShiftTap{Offset: d, Start: int32(c)})
		}
		runs[len(runs)-1].Count++
	}
	for _, r := range runs {
		runChunks += chunks(int(r.Count))
	}
	seen := map[nn.Offset]bool{}
	for _, d := range offsets {
		if !seen[d] {
			seen[d] = true
			masked = append(masked, ShiftTap{Offset: d, Count: int32(len(offsets)), Masked: true})
		}
	}
	if len(masked)*chunks(len(offsets)) < runChunks {
		return masked
	}
	return runs
}

// ShiftChannelOrder returns a permutation of the channels that makes
// channels with equal offsets adjacent (in order of first appearance,
// stable within an offset).
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
