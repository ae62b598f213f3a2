package arm64

import (
	"fmt"

	"neonet.dev/neonet/kernels/internal/igemm"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// Conv is an int8 convolution (groups == 1) built for one path and one
// input shape, equivalent bit for bit to q8ref.Conv2D. The NEON paths pack
// the weights once at construction and run an indirect GEMM: one
// indirection entry per output pixel and tap points at the input pixel, or
// at a row of input zero points for taps in the padding, so any kernel
// size, stride, padding and dilation runs the same microkernel and the
// input is never copied. Where the window is inside the image
// horizontally, a whole kernel row can be one tap of KW*Cin contiguous
// channels. Grouped convolutions are not handled here
// (depthwise has its own kernels in this package); NewConv rejects them.
//
// Run and RunRange allocate nothing. On the NEON paths, RunRange calls on
// disjoint ranges may run concurrently; on Ref, Run uses internal scratch
// and must not run concurrently with itself.
type Conv struct {
	c *igemm.Conv[gemmClamp]
}

// NewConv builds a convolution of weights w ([KH][KW][Cin][Cout]) with the
// input zero-point correction folded into bias, for input shape in and
// output shape out, written as o says.
func NewConv(p Path, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*Conv, error) {
	if err := convCheckPath(p); err != nil {
		return nil, err
	}
	c, err := igemm.NewConv("arm64", gemmArchs[p], w, bias, g, in, out, inZero, o)
	if err != nil {
		return nil, err
	}
	return &Conv{c}, nil
}

// Pixels is the number of output pixels, N*H*W: the range of RunRange.
func (c *Conv) Pixels() int { return c.c.Pixels() }

// Run computes the whole convolution of src into dst.
func (c *Conv) Run(dst, src *tensor.Int8) { c.c.Run(dst, src) }

// RunRange computes output pixels [start, end) of the N*H*W output pixels
// in raster order. There is no alignment rule: a range may start and end
// anywhere, the microkernel then handles a last group of fewer rows than
// its tile (2 rows on NEON, 4 on NEONDot). For speed, split a layer into
// ranges whose lengths are multiples of 4 (both tiles divide 4).
func (c *Conv) RunRange(dst, src *tensor.Int8, start, end int) { c.c.RunRange(dst, src, start, end) }

// RunRangeInto is RunRange writing output pixel m's channels at
// dst[m*stride+offset:], into a tensor wider than this convolution's
// output: a Fire module's expand convolutions write their halves of the
// concatenation in place, and the concatenation costs nothing. The NEON
// paths only (the reference writes whole tensors).
func (c *Conv) RunRangeInto(dst []int8, stride, offset int, src *tensor.Int8, start, end int) {
	c.c.RunRangeInto(dst, stride, offset, src, start, end, "a NEON path")
}

func convCheckPath(p Path) error {
	if _, ok := gemmLayouts[p]; !ok && p != Ref {
		return fmt.Errorf("unknown kernel path %v", p)
	}
	if !Supported(p) {
		return fmt.Errorf("kernel path %v is not supported by this CPU", p)
	}
	return nil
}
