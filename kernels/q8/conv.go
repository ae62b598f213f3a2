package q8

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Conv is an int8 convolution (groups == 1) built for one kernel set and
// one input shape, equivalent bit for bit to q8ref.Conv2D. With a set, the
// weights are packed once at construction and the layer runs the set's
// indirect GEMM: one indirection entry per output pixel and tap points at
// the input pixel, or at a row of input zero points for taps in the
// padding, so any kernel size, stride, padding and dilation runs the same
// microkernel and the input is never copied. Where the window is inside
// the image horizontally, a whole kernel row can be one tap of KW*Cin
// contiguous channels. Grouped convolutions are not handled here
// (Depthwise has its own kernels); NewConv rejects them.
//
// Run and RunRange allocate nothing. With a set, RunRange calls on
// disjoint ranges may run concurrently; on the reference, Run uses
// internal scratch and must not run concurrently with itself.
type Conv struct {
	ref     bool // no kernel set: the reference
	geo     nn.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8ref.Output
	w       []int8  // reference: the weights as given
	bias    []int32 // reference
	acc     []int32 // reference: q8ref.Conv2D's scratch
	// With a set: output columns [interiorFrom, interiorTo) of every row
	// run rows (a tap per kernel row), the others pixels (a tap per
	// kernel pixel). Either is nil when it has no columns.
	rows, pixels             gemmPlan
	interiorFrom, interiorTo int
}

// NewConv builds a convolution of weights w ([KH][KW][Cin][Cout]) with the
// input zero-point correction folded into bias, for input shape in and
// output shape out, written as o says, on the kernels k (nil: the
// reference).
func NewConv(k *Kernels, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*Conv, error) {
	if g.Groups != 1 {
		return nil, fmt.Errorf("conv: %d groups: only groups == 1 is supported (depthwise has its own kernels)", g.Groups)
	}
	if err := checkGeometry(g); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	oh, ow := g.OutSize(in.H, in.W)
	if out != (tensor.Shape{N: in.N, H: oh, W: ow, C: out.C}) {
		return nil, fmt.Errorf("conv: output shape %v, want %v", out, tensor.Shape{N: in.N, H: oh, W: ow, C: out.C})
	}
	if len(w) != g.KH*g.KW*in.C*out.C || len(bias) != out.C {
		return nil, fmt.Errorf("conv: %d weights and %d biases, want %d and %d", len(w), len(bias), g.KH*g.KW*in.C*out.C, out.C)
	}
	if err := checkOutput(o, out.C, inZero); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	if err := checkSize(in); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	c := &Conv{ref: k == nil, geo: g, in: in, out: out, inZero: inZero, output: o}
	if k == nil {
		c.w, c.bias, c.acc = w, bias, make([]int32, out.C)
		return c, nil
	}
	c.interiorFrom, c.interiorTo = interiorColumns(g, in, out, k.GEMM.chunk())
	if c.interiorFrom < c.interiorTo {
		c.rows = newConvPlan(k.GEMM, w, bias, g, in, out, inZero, o, g.KW)
	}
	if c.interiorFrom > 0 || c.interiorTo < out.W {
		c.pixels = newConvPlan(k.GEMM, w, bias, g, in, out, inZero, o, 1)
	}
	return c, nil
}

// interiorColumns returns the output columns [from, to) that read a kernel
// row as one tap, for a GEMM reading chunk channels at a time: none, or
// those whose window lies inside the image horizontally (all of them
// without horizontal padding). There the KW pixels under a kernel row are
// KW*Cin contiguous bytes. The border columns then need their own plan, a
// tap per pixel so that padding reads the zero row, and each output row is
// cut in up to three pieces, which leaves partial tiles. So rows are used
// when no column pads (fewer taps, nothing to cut), or when they read
// fewer chunks: small Cin, a first layer's 3 channels.
func interiorColumns(g nn.ConvGeometry, in, out tensor.Shape, chunk int) (from, to int) {
	if g.DilW != 1 || g.KW == 1 {
		return 0, 0
	}
	// ox*StrideW - PadW >= 0 and ox*StrideW - PadW + KW - 1 < in.W
	from = min((g.PadW+g.StrideW-1)/g.StrideW, out.W)
	to = max(from, min(out.W, windowsUpTo(in.W+g.PadW-g.KW, g.StrideW)))
	allInterior := from == 0 && to == out.W
	rowChunks, pixelChunks := (g.KW*in.C+chunk-1)/chunk, g.KW*((in.C+chunk-1)/chunk)
	if from == to || !allInterior && rowChunks >= pixelChunks {
		return 0, 0
	}
	return from, to
}

// windowsUpTo is how many windows start at 0, s, 2s, ... <= last.
func windowsUpTo(last, s int) int {
	if last < 0 {
		return 0
	}
	return last/s + 1
}

// Pixels is the number of output pixels, N*H*W: the range of RunRange.
func (c *Conv) Pixels() int { return c.out.N * c.out.H * c.out.W }

// Run computes the whole convolution of src into dst.
func (c *Conv) Run(dst, src *tensor.Int8) {
	checkTensors("Conv", dst, src, c.out, c.in)
	if c.ref {
		q8ref.Conv2D(dst, src, c.w, c.bias, c.geo, c.inZero, c.output, c.acc)
		return
	}
	c.runRange(dst.Data, c.out.C, 0, src, 0, c.Pixels())
}

// RunRange computes output pixels [start, end) of the N*H*W output pixels
// in raster order. There is no alignment rule: a range may start and end
// anywhere, the microkernel then handles a last group of fewer rows than
// its tile (2 to 6 rows, depending on the path). For speed, split a layer
// into ranges whose lengths are multiples of 4.
func (c *Conv) RunRange(dst, src *tensor.Int8, start, end int) {
	checkTensors("Conv", dst, src, c.out, c.in)
	checkRange("Conv", start, end, c.Pixels())
	if c.ref {
		c.refRange(dst, src, start, end)
		return
	}
	c.runRange(dst.Data, c.out.C, 0, src, start, end)
}

// RunRangeInto is RunRange writing output pixel m's channels at
// dst[m*stride+offset:], into a tensor wider than this convolution's
// output: a Fire module's expand convolutions write their halves of the
// concatenation in place, and the concatenation costs nothing. With a
// kernel set only (the reference writes whole tensors).
func (c *Conv) RunRangeInto(dst []int8, stride, offset int, src *tensor.Int8, start, end int) {
	if src.Shape != c.in || len(src.Data) != c.in.Elems() {
		panic(fmt.Sprintf("q8.Conv: input %v (%d values), built for %v", src.Shape, len(src.Data), c.in))
	}
	checkRange("Conv", start, end, c.Pixels())
	if c.ref {
		panic("q8.Conv: RunRangeInto needs a kernel set, not the reference")
	}
	c.runRange(dst, stride, offset, src, start, end)
}

// runRange splits [start, end) at the borders of the interior columns and
// runs each piece with its plan.
func (c *Conv) runRange(dst []int8, stride, offset int, src *tensor.Int8, start, end int) {
	if c.rows == nil {
		if c.pixels != nil { // nil: no output columns
			c.pixels.run(dst, src.Data, start, end, stride, offset)
		}
		return
	}
	width := c.out.W
	for m := start; m < end; {
		ox := m % width
		// Right border and the next row's left border are one piece.
		plan, next := c.pixels, m+width-ox+c.interiorFrom
		switch {
		case ox < c.interiorFrom:
			next = m + c.interiorFrom - ox
		case ox < c.interiorTo:
			plan, next = c.rows, m+c.interiorTo-ox
		}
		next = min(next, end)
		plan.run(dst, src.Data, m, next, stride, offset)
		m = next
	}
}

// newConvPlan builds the indirect GEMM of a convolution with taps of
// segment (1 or KW) adjacent kernel pixels; a segment of KW is only valid
// for the interior columns, and only their entries are used.
func newConvPlan(gemm GEMM, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output, segment int) gemmPlan {
	taps, kc := g.KH*g.KW/segment, segment*in.C
	kcs := make([]int32, taps)
	for t := range kcs {
		kcs[t] = int32(kc)
	}
	ind := make([]int32, out.N*out.H*out.W*taps)
	i := 0
	for n := range out.N {
		for oy := range out.H {
			for ox := range out.W {
				for ky := range g.KH {
					iy := oy*g.StrideH - g.PadH + ky*g.DilH
					for kx := 0; kx < g.KW; kx += segment {
						ix := ox*g.StrideW - g.PadW + kx*g.DilW
						ind[i] = -1
						if iy >= 0 && iy < in.H && ix >= 0 && ix+(segment-1) < in.W {
							ind[i] = int32(((n*in.H+iy)*in.W + ix) * in.C)
						}
						i++
					}
				}
			}
		}
	}
	// Weights are [KH][KW][Cin][Cout]: tap t's channel k is row t*kc+k.
	weight := func(t, k, o int) int8 { return w[(t*kc+k)*out.C+o] }
	return gemm.plan(kcs, ind, out.C, weight, bias, inZero, o)
}

// refRange is q8ref.Conv2D restricted to output pixels [start, end), one
// output channel at a time so that it needs no scratch.
func (c *Conv) refRange(dst, src *tensor.Int8, start, end int) {
	g, in, cout := c.geo, c.in, c.out.C
	for m := start; m < end; m++ {
		ox, oy, n := m%c.out.W, m/c.out.W%c.out.H, m/(c.out.W*c.out.H)
		for o := range cout {
			acc := c.bias[o]
			for ky := range g.KH {
				iy := oy*g.StrideH - g.PadH + ky*g.DilH
				for kx := range g.KW {
					ix := ox*g.StrideW - g.PadW + kx*g.DilW
					inside := iy >= 0 && iy < in.H && ix >= 0 && ix < in.W
					wt := c.w[(ky*g.KW+kx)*in.C*cout:]
					for i := range in.C {
						x := c.inZero
						if inside {
							x = int32(src.Data[((n*in.H+iy)*in.W+ix)*in.C+i])
						}
						acc += x * int32(wt[i*cout+o])
					}
				}
			}
			dst.Data[m*cout+o] = quant.Requantize(acc, c.output.Multiplier(o), c.output.Zero, c.output.Lo, c.output.Hi)
		}
	}
}
