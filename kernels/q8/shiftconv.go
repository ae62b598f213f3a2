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
//	q8ref.Shift(tmp, src, offsets, int8(inZero))         // or q8ref.ShiftFill(tmp, src, offsets, fill)
//	q8ref.Conv2D(dst, tmp, w, bias, g, inZero, o, acc)   // 1x1
//
// without the shifted tensor: channels that move by the same offset and
// are adjacent form one run, and each run is a tap of the indirect GEMM,
// its indirection entry pointing at the shifted pixel's run, or, when the
// shifted pixel is outside the image, at the zero row (the plain shift) or
// at the fill row (a shift with a per-channel fill). The shift costs
// neither arithmetic nor a copy.
//
// The fill row lets a per-channel map f between the shift and the
// convolution (a pre-activation block's batch norm and ReLU) move in front
// of the shift: f(shift(x)) is the shift of f(x) with fill f(zero). It is
// one pixel of fill values just past the source tensor's data, so the
// source's slice must have the capacity for it; WriteFill puts it there.
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
	fill    []int8       // nil: vacated positions hold inZero
	w       []int8       // reference
	bias    []int32      // reference
	shifted *tensor.Int8 // reference: the shifted input
	acc     []int32      // reference
	gemm    gemmPlan     // nil on the reference
}

// NewShiftConv builds the fused layer on the kernels k (nil: the
// reference): offsets has one entry per input channel, fill is nil or the
// per-channel value of vacated positions, w is the 1x1 convolution's
// weights ([1][1][Cin][Cout]), g its geometry (1x1, any stride and
// padding, groups 1; padding reads inZero).
func NewShiftConv(k *Kernels, offsets []nn.Offset, fill []int8, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*ShiftConv, error) {
	if g.KH != 1 || g.KW != 1 {
		return nil, fmt.Errorf("shiftconv: %dx%d kernel, want 1x1", g.KH, g.KW)
	}
	if len(offsets) != in.C || fill != nil && len(fill) != in.C {
		return nil, fmt.Errorf("shiftconv: %d offsets and %d fill values for %d channels", len(offsets), len(fill), in.C)
	}
	// NewConv checks everything else, and its reference layer is never run.
	if _, err := NewConv(nil, w, bias, g, in, out, inZero, o); err != nil {
		return nil, fmt.Errorf("shift%w", err)
	}
	s := &ShiftConv{geo: g, in: in, out: out, inZero: inZero, output: o, fill: fill}
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
	s.gemm = k.GEMM.plan(kcs, s.indirection(taps), out.C, shiftWeights(taps, offsets, w, out.C), bias, inZero, o)
	return s, nil
}

// indirection is the GEMM's indirection buffer: per output pixel and tap,
// the byte offset of the tap's run in the shifted pixel, of the fill row's
// run past the source's data, or -1 for the zero row.
func (s *ShiftConv) indirection(taps []shiftTap) []int32 {
	g, in, out := s.geo, s.in, s.out
	ind := make([]int32, 0, out.N*out.H*out.W*len(taps))
	for n := range out.N {
		for oy := range out.H {
			for ox := range out.W {
				// The convolution reads the shifted tensor at (iy, ix), which
				// is the input at (iy+dy, ix+dx); either may be outside.
				iy, ix := oy*g.StrideH-g.PadH, ox*g.StrideW-g.PadW
				inside := iy >= 0 && iy < in.H && ix >= 0 && ix < in.W
				for _, tap := range taps {
					sy, sx := iy+tap.offset.DY, ix+tap.offset.DX
					off := int32(-1)
					switch {
					case inside && sy >= 0 && sy < in.H && sx >= 0 && sx < in.W:
						off = int32(((n*in.H+sy)*in.W+sx)*in.C) + tap.start
					case inside && s.fill != nil:
						off = int32(in.Elems()) + tap.start
					}
					ind = append(ind, off)
				}
			}
		}
	}
	return ind
}

// shiftWeights is the weight of tap t's channel k for output channel o.
func shiftWeights(taps []shiftTap, offsets []nn.Offset, w []int8, cout int) func(t, k, o int) int8 {
	return func(t, k, o int) int8 {
		tap := taps[t]
		c := int(tap.start) + k
		if tap.masked && offsets[c] != tap.offset {
			return 0 // another tap reads this channel
		}
		return w[c*cout+o]
	}
}

// Pixels is the number of output pixels, N*H*W: the range of RunRange.
func (s *ShiftConv) Pixels() int { return s.out.N * s.out.H * s.out.W }

// WriteFill writes the fill row just past src's data, within its
// capacity, for RunRange: once per source tensor's contents, before the
// ranges run. Without a fill (or on the reference) it does nothing.
func (s *ShiftConv) WriteFill(src *tensor.Int8) {
	if s.fill == nil || s.gemm == nil {
		return
	}
	n := s.in.Elems()
	if cap(src.Data) < n+s.in.C {
		panic(fmt.Sprintf("q8.ShiftConv: input of %d values has capacity %d, want %d for the fill row", n, cap(src.Data), n+s.in.C))
	}
	copy(src.Data[n:n+s.in.C], s.fill)
}

// Run computes the shifted convolution of src into dst (with a fill,
// writing the fill row first). It allocates nothing; on the reference it
// uses internal scratch and must not run concurrently with itself.
func (s *ShiftConv) Run(dst, src *tensor.Int8) {
	checkTensors("ShiftConv", dst, src, s.out, s.in)
	if s.gemm == nil {
		if s.fill != nil {
			q8ref.ShiftFill(s.shifted, src, s.offsets, s.fill)
		} else {
			q8ref.Shift(s.shifted, src, s.offsets, int8(s.inZero))
		}
		q8ref.Conv2D(dst, s.shifted, s.w, s.bias, s.geo, s.inZero, s.output, s.acc)
		return
	}
	s.WriteFill(src)
	s.RunRange(dst, src, 0, s.Pixels())
}

// RunRange computes output pixels [start, end) of the N*H*W output pixels
// in raster order, with a kernel set only; with a fill, WriteFill must
// have written the fill row. Calls on disjoint ranges may run
// concurrently.
func (s *ShiftConv) RunRange(dst, src *tensor.Int8, start, end int) {
	checkTensors("ShiftConv", dst, src, s.out, s.in)
	checkRange("ShiftConv", start, end, s.Pixels())
	if s.gemm == nil {
		panic("q8.ShiftConv: RunRange needs a kernel set, not the reference")
	}
	data := src.Data
	if s.fill != nil {
		data = data[:len(data)+s.in.C]
	}
	s.gemm.run(dst.Data, data, start, end, s.out.C, 0)
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

// Shift is a shift that no convolution absorbs, as q8ref.Shift: channel
// runs of equal offset copied pixel by pixel, the same on every path.
// Build it once; RunRows on disjoint row ranges may run concurrently.
type Shift struct {
	runs  []shiftTap
	shape tensor.Shape
	zero  int8
}

// NewShift prepares the shift of tensors of shape s by offsets (one per
// channel), vacated positions set to zero.
func NewShift(offsets []nn.Offset, s tensor.Shape, zero int8) (*Shift, error) {
	if len(offsets) != s.C {
		return nil, fmt.Errorf("shift: %d offsets for %d channels", len(offsets), s.C)
	}
	sh := &Shift{shape: s, zero: zero}
	for c, d := range offsets {
		if c == 0 || d != offsets[c-1] {
			sh.runs = append(sh.runs, shiftTap{offset: d, start: int32(c)})
		}
		sh.runs[len(sh.runs)-1].count++
	}
	return sh, nil
}

// Rows is the number of rows (N*H) that RunRows divides.
func (sh *Shift) Rows() int { return sh.shape.N * sh.shape.H }

// RunRows shifts src into dst for rows [start, end) of the N*H rows.
func (sh *Shift) RunRows(dst, src *tensor.Int8, start, end int) {
	checkTensors("Shift", dst, src, sh.shape, sh.shape)
	checkRange("Shift", start, end, sh.Rows())
	s := sh.shape
	for r := start; r < end; r++ {
		n, y := r/s.H, r%s.H
		row := dst.Data[r*s.W*s.C : (r+1)*s.W*s.C]
		for _, run := range sh.runs {
			c0, c1 := int(run.start), int(run.start+run.count)
			sy := y + run.offset.DY
			for x := range s.W {
				out := row[x*s.C+c0 : x*s.C+c1]
				sx := x + run.offset.DX
				if sy < 0 || sy >= s.H || sx < 0 || sx >= s.W {
					for i := range out {
						out[i] = sh.zero
					}
					continue
				}
				copy(out, src.Data[((n*s.H+sy)*s.W+sx)*s.C+c0:])
			}
		}
	}
}
