package amd64

import (
	"errors"
	"fmt"
	"math"

	"neonet.dev/neonet/kernels"
	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Conv is an int8 convolution (groups == 1) built for one path and one
// input shape, equivalent bit for bit to q8.Conv2D. The AVX2 path pack
// the weights once at construction and run an indirect GEMM: one
// indirection entry per output pixel and tap points at the input pixel, or
// at a row of input zero points for taps in the padding, so any kernel
// size, stride, padding and dilation runs the same microkernel and the
// input is never copied. Where the window is inside the image
// horizontally, a whole kernel row can be one tap of KW*Cin contiguous
// channels. Grouped convolutions are not handled here
// (depthwise has its own kernels in this package); NewConv rejects them.
//
// Run and RunRange allocate nothing. On the AVX2 path, RunRange calls on
// disjoint ranges may run concurrently; on Ref, Run uses internal scratch
// and must not run concurrently with itself.
type Conv struct {
	path    Path
	geo     kernels.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8.Output
	w       []int8  // Ref: the weights as given
	bias    []int32 // Ref
	acc     []int32 // Ref: q8.Conv2D's scratch
	// The AVX2 path: output columns [interiorFrom, interiorTo) of every
	// row run rows (a tap per kernel row), the others pixels (a tap per
	// kernel pixel). Either is nil when it has no columns.
	rows, pixels             *gemmPlan
	interiorFrom, interiorTo int
}

// NewConv builds a convolution of weights w ([KH][KW][Cin][Cout]) with the
// input zero-point correction folded into bias, for input shape in and
// output shape out, written as o says.
func NewConv(p Path, w []int8, bias []int32, g kernels.ConvGeometry, in, out tensor.Shape, inZero int32, o q8.Output) (*Conv, error) {
	if err := convCheckPath(p); err != nil {
		return nil, err
	}
	if g.Groups != 1 {
		return nil, fmt.Errorf("conv: %d groups: only groups == 1 is supported (depthwise has its own kernels)", g.Groups)
	}
	if g.KH < 1 || g.KW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilH < 1 || g.DilW < 1 || g.PadH < 0 || g.PadW < 0 {
		return nil, fmt.Errorf("conv: invalid geometry %+v", g)
	}
	oh, ow := g.OutSize(in.H, in.W)
	if out != (tensor.Shape{N: in.N, H: oh, W: ow, C: out.C}) {
		return nil, fmt.Errorf("conv: output shape %v, want %v", out, tensor.Shape{N: in.N, H: oh, W: ow, C: out.C})
	}
	if len(w) != g.KH*g.KW*in.C*out.C || len(bias) != out.C {
		return nil, fmt.Errorf("conv: %d weights and %d biases, want %d and %d", len(w), len(bias), g.KH*g.KW*in.C*out.C, out.C)
	}
	if err := convCheckOutput(o, out.C, inZero); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	if err := convCheckSize(in); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	c := &Conv{path: p, geo: g, in: in, out: out, inZero: inZero, output: o}
	if p == Ref {
		c.w, c.bias, c.acc = w, bias, make([]int32, out.C)
		return c, nil
	}
	// Output columns whose window lies inside the image horizontally (all
	// of them without horizontal padding) can read the KW pixels under a
	// kernel row as KW*Cin contiguous bytes: one tap per kernel row. The
	// border columns then need their own plan, a tap per pixel so that
	// padding reads the zero row, and each output row is cut in up to
	// three pieces, which leaves partial tiles. So rows are used when no
	// column pads (fewer taps, nothing to cut), or when they read fewer
	// 4-channel chunks: small Cin, a first layer's 3 channels.
	if g.DilW == 1 && g.KW > 1 {
		// ox*StrideW - PadW >= 0 and ox*StrideW - PadW + KW - 1 < in.W
		c.interiorFrom = min((g.PadW+g.StrideW-1)/g.StrideW, out.W)
		c.interiorTo = max(c.interiorFrom, min(out.W, windowsUpTo(in.W+g.PadW-g.KW, g.StrideW)))
		allInterior := c.interiorFrom == 0 && c.interiorTo == out.W
		rowChunks, pixelChunks := (g.KW*in.C+gemmChunk-1)/gemmChunk, g.KW*((in.C+gemmChunk-1)/gemmChunk)
		if c.interiorFrom == c.interiorTo || !allInterior && rowChunks >= pixelChunks {
			c.interiorFrom, c.interiorTo = 0, 0
		}
	}
	if c.interiorFrom < c.interiorTo {
		c.rows = newConvPlan(w, bias, g, in, out, inZero, o, g.KW)
	}
	if c.interiorFrom > 0 || c.interiorTo < out.W {
		c.pixels = newConvPlan(w, bias, g, in, out, inZero, o, 1)
	}
	return c, nil
}

// Pixels is the number of output pixels, N*H*W: the range of RunRange.
func (c *Conv) Pixels() int { return c.out.N * c.out.H * c.out.W }

// Run computes the whole convolution of src into dst.
func (c *Conv) Run(dst, src *tensor.Int8) {
	c.check(dst, src)
	if c.path == Ref {
		q8.Conv2D(dst, src, c.w, c.bias, c.geo, c.inZero, c.output, c.acc)
		return
	}
	c.runRange(dst.Data, c.out.C, 0, src, 0, c.Pixels())
}

// RunRange computes output pixels [start, end) of the N*H*W output pixels
// in raster order. There is no alignment rule: a range may start and end
// anywhere, the microkernel then handles a last group of fewer rows than
// its tile (4 rows on AVX2). For speed, split a layer into ranges whose
// lengths are multiples of 4.
func (c *Conv) RunRange(dst, src *tensor.Int8, start, end int) {
	c.check(dst, src)
	if start < 0 || end > c.Pixels() || start > end {
		panic(fmt.Sprintf("amd64.Conv: range [%d, %d) outside [0, %d)", start, end, c.Pixels()))
	}
	if c.path == Ref {
		c.refRange(dst, src, start, end)
		return
	}
	c.runRange(dst.Data, c.out.C, 0, src, start, end)
}

// RunRangeInto is RunRange writing output pixel m's channels at
// dst[m*stride+offset:], into a tensor wider than this convolution's
// output: a Fire module's expand convolutions write their halves of the
// concatenation in place. The AVX2 path only (the reference writes whole
// tensors).
func (c *Conv) RunRangeInto(dst []int8, stride, offset int, src *tensor.Int8, start, end int) {
	if src.Shape != c.in {
		panic(fmt.Sprintf("amd64.Conv: input %v, built for %v", src.Shape, c.in))
	}
	if start < 0 || end > c.Pixels() || start > end {
		panic(fmt.Sprintf("amd64.Conv: range [%d, %d) outside [0, %d)", start, end, c.Pixels()))
	}
	if c.path == Ref {
		panic("amd64.Conv: RunRangeInto needs the AVX2 path")
	}
	c.runRange(dst, stride, offset, src, start, end)
}

// runRange splits [start, end) at the borders of the interior columns and
// runs each piece with its plan.
func (c *Conv) runRange(dst []int8, stride, offset int, src *tensor.Int8, start, end int) {
	if c.rows == nil {
		c.pixels.runStrided(dst, src.Data, start, end, stride, offset)
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
		plan.runStrided(dst, src.Data, m, next, stride, offset)
		m = next
	}
}

// windowsUpTo is how many windows start at 0, s, 2s, ... <= last.
func windowsUpTo(last, s int) int {
	if last < 0 {
		return 0
	}
	return last/s + 1
}

// newConvPlan builds the indirect GEMM of a convolution with taps of
// segment (1 or KW) adjacent kernel pixels; a segment of KW is only valid
// for the interior columns, and only their entries are used.
func newConvPlan(w []int8, bias []int32, g kernels.ConvGeometry, in, out tensor.Shape, inZero int32, o q8.Output, segment int) *gemmPlan {
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
	return newGemmPlan(kcs, ind, out.C, weight, bias, inZero, convOutput{o})
}

// refRange is q8.Conv2D restricted to output pixels [start, end), one
// output channel at a time so that it needs no scratch.
func (c *Conv) refRange(dst, src *tensor.Int8, start, end int) {
	g, in, cout := c.geo, c.in, c.out.C
	mult := convOutput{c.output}
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
			dst.Data[m*cout+o] = quant.Requantize(acc, mult.multiplier(o), c.output.Zero, c.output.Lo, c.output.Hi)
		}
	}
}

func (c *Conv) check(dst, src *tensor.Int8) {
	convCheckTensors("Conv", dst, src, c.out, c.in)
}

// convOutput reads a q8.Output's per-channel or shared multiplier.
type convOutput struct{ q8.Output }

func (o convOutput) multiplier(c int) float32 {
	if len(o.Multipliers) == 1 {
		return o.Multipliers[0]
	}
	return o.Multipliers[c]
}

func convCheckPath(p Path) error { return checkPath(p) }

func convCheckOutput(o q8.Output, channels int, inZero int32) error {
	if len(o.Multipliers) != 1 && len(o.Multipliers) != channels {
		return fmt.Errorf("%d multipliers for %d output channels", len(o.Multipliers), channels)
	}
	if o.Lo > o.Hi || o.Lo < quant.QMin || o.Hi > quant.QMax {
		return fmt.Errorf("output bounds [%d, %d] outside [%d, %d] or empty", o.Lo, o.Hi, quant.QMin, quant.QMax)
	}
	if inZero < quant.QMin || inZero > quant.QMax || o.Zero < quant.QMin || o.Zero > quant.QMax {
		return errors.New("zero points must be int8 values")
	}
	return nil
}

// convCheckSize rejects inputs whose byte offsets would not fit the int32
// indirection buffer.
func convCheckSize(in tensor.Shape) error {
	if in.N < 0 || in.H < 0 || in.W < 0 || in.C < 1 || int64(in.N)*int64(in.H)*int64(in.W)*int64(in.C) > math.MaxInt32 {
		return fmt.Errorf("input shape %v: empty channels or more than 2^31 values", in)
	}
	return nil
}

// convCheckTensors panics on tensors of another shape than the layer was built
// for: the kernels trust the indirection buffer, so a wrong shape must
// never reach them.
func convCheckTensors(op string, dst, src *tensor.Int8, out, in tensor.Shape) {
	if dst.Shape != out || src.Shape != in || len(dst.Data) != out.Elems() || len(src.Data) != in.Elems() {
		panic(fmt.Sprintf("amd64.%s: tensors %v -> %v (%d, %d values), built for %v -> %v", op, src.Shape, dst.Shape, len(src.Data), len(dst.Data), in, out))
	}
}
