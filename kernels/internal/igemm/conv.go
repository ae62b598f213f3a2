package igemm

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Conv is the shared body of the packages' Conv: an int8 convolution
// (groups == 1), bit for bit q8ref.Conv2D, either the reference (no Arch) or
// an indirect GEMM. See kernels/q8/amd64.Conv for the plan.
type Conv[R any] struct {
	pkg     string
	ref     bool
	geo     nn.ConvGeometry
	in, out tensor.Shape
	inZero  int32
	output  q8ref.Output
	w       []int8  // Ref: the weights as given
	bias    []int32 // Ref
	acc     []int32 // Ref: q8ref.Conv2D's scratch
	// The GEMM path: output columns [InteriorFrom, InteriorTo) of every
	// row run rows (a tap per kernel row), the others pixels (a tap per
	// kernel pixel). Either is nil when it has no columns.
	rows, pixels             *Plan[R]
	InteriorFrom, InteriorTo int
}

// NewConv checks and builds a convolution of weights w ([KH][KW][Cin][Cout])
// for package pkg: the reference when a is nil, else a's indirect GEMM. The
// caller has checked the path.
func NewConv[R any](pkg string, a *Arch[R], w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*Conv[R], error) {
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
	if err := CheckOutput(o, out.C, inZero); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	if err := CheckSize(in); err != nil {
		return nil, fmt.Errorf("conv: %w", err)
	}
	c := &Conv[R]{pkg: pkg, ref: a == nil, geo: g, in: in, out: out, inZero: inZero, output: o}
	if a == nil {
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
	// chunks (a.Chunk channels each): small Cin, a first layer's 3 channels.
	if g.DilW == 1 && g.KW > 1 {
		// ox*StrideW - PadW >= 0 and ox*StrideW - PadW + KW - 1 < in.W
		c.InteriorFrom = min((g.PadW+g.StrideW-1)/g.StrideW, out.W)
		c.InteriorTo = max(c.InteriorFrom, min(out.W, windowsUpTo(in.W+g.PadW-g.KW, g.StrideW)))
		allInterior := c.InteriorFrom == 0 && c.InteriorTo == out.W
		rowChunks, pixelChunks := (g.KW*in.C+a.Chunk-1)/a.Chunk, g.KW*((in.C+a.Chunk-1)/a.Chunk)
		if c.InteriorFrom == c.InteriorTo || !allInterior && rowChunks >= pixelChunks {
			c.InteriorFrom, c.InteriorTo = 0, 0
		}
	}
	if c.InteriorFrom < c.InteriorTo {
		c.rows = newConvPlan(a, w, bias, g, in, out, inZero, o, g.KW)
	}
	if c.InteriorFrom > 0 || c.InteriorTo < out.W {
		c.pixels = newConvPlan(a, w, bias, g, in, out, inZero, o, 1)
	}
	return c, nil
}

// Pixels is the number of output pixels, N*H*W: the range of RunRange.
func (c *Conv[R]) Pixels() int { return c.out.N * c.out.H * c.out.W }

// Run computes the whole convolution of src into dst.
func (c *Conv[R]) Run(dst, src *tensor.Int8) {
	c.check(dst, src)
	if c.ref {
		q8ref.Conv2D(dst, src, c.w, c.bias, c.geo, c.inZero, c.output, c.acc)
		return
	}
	c.runRange(dst.Data, c.out.C, 0, src, 0, c.Pixels())
}

// RunRange computes output pixels [start, end) in raster order.
func (c *Conv[R]) RunRange(dst, src *tensor.Int8, start, end int) {
	c.check(dst, src)
	if start < 0 || end > c.Pixels() || start > end {
		panic(fmt.Sprintf("%s.Conv: range [%d, %d) outside [0, %d)", c.pkg, start, end, c.Pixels()))
	}
	if c.ref {
		c.refRange(dst, src, start, end)
		return
	}
	c.runRange(dst.Data, c.out.C, 0, src, start, end)
}

// RunRangeInto is RunRange writing output pixel m's channels at
// dst[m*stride+offset:]. On the reference it panics, saying it needs
// gemmPath.
func (c *Conv[R]) RunRangeInto(dst []int8, stride, offset int, src *tensor.Int8, start, end int, gemmPath string) {
	if src.Shape != c.in {
		panic(fmt.Sprintf("%s.Conv: input %v, built for %v", c.pkg, src.Shape, c.in))
	}
	if start < 0 || end > c.Pixels() || start > end {
		panic(fmt.Sprintf("%s.Conv: range [%d, %d) outside [0, %d)", c.pkg, start, end, c.Pixels()))
	}
	if c.ref {
		panic(fmt.Sprintf("%s.Conv: RunRangeInto needs %s", c.pkg, gemmPath))
	}
	c.runRange(dst, stride, offset, src, start, end)
}

// runRange splits [start, end) at the borders of the interior columns and
// runs each piece with its plan.
func (c *Conv[R]) runRange(dst []int8, stride, offset int, src *tensor.Int8, start, end int) {
	if c.rows == nil {
		c.pixels.RunStrided(dst, src.Data, start, end, stride, offset)
		return
	}
	width := c.out.W
	for m := start; m < end; {
		ox := m % width
		// Right border and the next row's left border are one piece.
		plan, next := c.pixels, m+width-ox+c.InteriorFrom
		switch {
		case ox < c.InteriorFrom:
			next = m + c.InteriorFrom - ox
		case ox < c.InteriorTo:
			plan, next = c.rows, m+c.InteriorTo-ox
		}
		next = min(next, end)
		plan.RunStrided(dst, src.Data, m, next, stride, offset)
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
func newConvPlan[R any](a *Arch[R], w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output, segment int) *Plan[R] {
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
	return NewPlan(a, kcs, ind, out.C, weight, bias, inZero, o)
}

// refRange is q8ref.Conv2D restricted to output pixels [start, end), one
// output channel at a time so that it needs no scratch.
func (c *Conv[R]) refRange(dst, src *tensor.Int8, start, end int) {
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
			dst.Data[m*cout+o] = quant.Requantize(acc, Multiplier(c.output, o), c.output.Zero, c.output.Lo, c.output.Hi)
		}
	}
}

func (c *Conv[R]) check(dst, src *tensor.Int8) {
	CheckTensors(c.pkg, "Conv", dst, src, c.out, c.in)
}
