package q8

import (
	"fmt"

	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/tensor"
)

// DepthwiseKernel is a path's depthwise convolution microkernels.
type DepthwiseKernel struct {
	// MinChannels and MaxTaps bound the layers the kernels take: at least
	// MinChannels channels and at most MaxTaps taps (KH*KW). Other layers
	// run DepthwiseRowGo.
	MinChannels, MaxTaps int
	// Prepare lays a layer out for the kernels, once, when it is built,
	// and returns what computes its output rows.
	Prepare func(l *DepthwiseLayer) DepthwiseRows
}

// DepthwiseRows computes a prepared layer's output rows.
type DepthwiseRows interface {
	// Row computes output row oy of one image: dst holds the row's Out.W
	// pixels, src the whole input image. Calls on different rows may run
	// concurrently.
	Row(dst, src []int8, oy int)
}

// DepthwiseLayer is a depthwise convolution as NewDepthwise prepares it
// for every path, the input of a DepthwiseKernel's Prepare. Nothing in it
// changes after NewDepthwise.
type DepthwiseLayer struct {
	Geometry nn.ConvGeometry
	In, Out  tensor.Shape
	W        []int8    // [KH][KW][C]
	Bias     []int32   // [C], the input zero-point correction folded in
	Mult     []float32 // [C]: a shared multiplier repeated
	ZeroPad  []int8    // C copies of the input zero point: what padding taps read
	// RowOffs[oy*KH+ky] is the byte offset of the input row under kernel
	// row ky of output row oy in an image, ColOffs[ox*KW+kx] that of the
	// input column under kernel column kx of output column ox in a row,
	// or -1 when the tap falls in the padding.
	RowOffs, ColOffs []int32
	Zero, Lo, Hi     int32 // output zero point and bounds
}

// Depthwise is an int8 depthwise convolution (groups = channels, one
// weight plane per channel) with its weights and padding tables prepared
// once for fixed input and output shapes. Run allocates nothing.
//
// It computes exactly what q8ref.Conv2D computes:
//
//	acc[c] = bias[c] + sum over taps of x[c] * w[ky][kx][c]  (x = inZero in the padding)
//	dst[c] = quant.Requantize(acc[c], multiplier[c], zero, lo, hi)
type Depthwise struct {
	ref    bool // no kernel set: the reference
	layer  DepthwiseLayer
	inZero int32
	output q8ref.Output  // its Multipliers a private copy
	rows   DepthwiseRows // the set's kernels; nil: DepthwiseRowGo
	acc    []int32       // scratch of the reference's Run
}

// NewDepthwise prepares a depthwise convolution of in into out on the
// kernels k (nil: the reference). w is laid out [KH][KW][C] (q8ref's
// packing with Cin/groups = 1), bias has the input zero-point correction
// folded in as for q8ref.Conv2D, and o.Multipliers has one value per
// channel or one shared value.
func NewDepthwise(k *Kernels, w []int8, bias []int32, g nn.ConvGeometry, in, out tensor.Shape, inZero int32, o q8ref.Output) (*Depthwise, error) {
	c := in.C
	if c < 1 || g.Groups != c || out.C != c {
		return nil, fmt.Errorf("depthwise: groups %d, input channels %d and output channels %d must be equal", g.Groups, c, out.C)
	}
	if err := checkGeometry(g); err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	switch {
	case len(w) != g.KH*g.KW*c:
		return nil, fmt.Errorf("depthwise: %d weights, want %dx%dx%d", len(w), g.KH, g.KW, c)
	case len(bias) != c:
		return nil, fmt.Errorf("depthwise: %d biases for %d channels", len(bias), c)
	case in.N < 1 || in.H < 1 || in.W < 1 || out.N != in.N:
		return nil, fmt.Errorf("depthwise: input %v, output %v", in, out)
	}
	if err := checkOutput(o, c, inZero); err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	if oh, ow := g.OutSize(in.H, in.W); out.H != oh || out.W != ow {
		return nil, fmt.Errorf("depthwise: output %v, want %dx%d for input %v", out, oh, ow, in)
	}
	if err := checkSize(in); err != nil {
		return nil, fmt.Errorf("depthwise: %w", err)
	}
	d := &Depthwise{ref: k == nil, inZero: inZero, output: o, acc: make([]int32, c)}
	d.output.Multipliers = append([]float32(nil), o.Multipliers...)
	l := &d.layer
	*l = DepthwiseLayer{
		Geometry: g, In: in, Out: out,
		W:       append([]int8(nil), w...),
		Bias:    append([]int32(nil), bias...),
		Mult:    make([]float32, c),
		ZeroPad: make([]int8, c),
		RowOffs: make([]int32, out.H*g.KH),
		ColOffs: make([]int32, out.W*g.KW),
		Zero:    o.Zero, Lo: o.Lo, Hi: o.Hi,
	}
	for i := range l.Mult {
		l.Mult[i] = d.output.Multiplier(i)
		l.ZeroPad[i] = int8(inZero)
	}
	for oy := range out.H {
		for ky := range g.KH {
			l.RowOffs[oy*g.KH+ky] = dwOffset(oy*g.StrideH-g.PadH+ky*g.DilH, in.H, in.W*c)
		}
	}
	for ox := range out.W {
		for kx := range g.KW {
			l.ColOffs[ox*g.KW+kx] = dwOffset(ox*g.StrideW-g.PadW+kx*g.DilW, in.W, c)
		}
	}
	if k != nil && c >= k.Depthwise.MinChannels && g.KH*g.KW <= k.Depthwise.MaxTaps {
		d.rows = k.Depthwise.Prepare(l)
	}
	return d, nil
}

// dwOffset is i*stride, or -1 when i is outside [0, n).
func dwOffset(i, n, stride int) int32 {
	if i < 0 || i >= n {
		return -1
	}
	return int32(i * stride)
}

// Rows is the number of output rows (N*H) that RunRows divides.
func (d *Depthwise) Rows() int { return d.layer.Out.N * d.layer.Out.H }

// Run computes the whole output. On the reference it uses scratch space
// of the Depthwise, so concurrent callers must use RunRows.
func (d *Depthwise) Run(dst, src *tensor.Int8) {
	if d.ref {
		l := &d.layer
		checkTensors("Depthwise", dst, src, l.Out, l.In)
		q8ref.Conv2D(dst, src, l.W, l.Bias, l.Geometry, d.inZero, d.output, d.acc)
		return
	}
	d.RunRows(dst, src, 0, d.Rows())
}

// RunRows computes output rows [start, end) of the N*H rows, so that
// workers can share one convolution: it writes only those rows and may run
// concurrently on disjoint ranges. The reference computes rows with
// DepthwiseRowGo, which gives the same bytes as q8ref.Conv2D.
func (d *Depthwise) RunRows(dst, src *tensor.Int8, start, end int) {
	l := &d.layer
	checkTensors("Depthwise", dst, src, l.Out, l.In)
	checkRange("Depthwise", start, end, d.Rows())
	in, out, g := l.In, l.Out, l.Geometry
	image, rowLen := in.H*in.W*in.C, out.W*out.C
	for r := start; r < end; r++ {
		n, oy := r/out.H, r%out.H
		srcImage := src.Data[n*image : (n+1)*image]
		dstRow := dst.Data[r*rowLen : (r+1)*rowLen]
		if d.rows != nil {
			d.rows.Row(dstRow, srcImage, oy)
			continue
		}
		DepthwiseRowGo(dstRow, srcImage, l.ZeroPad, l.RowOffs[oy*g.KH:(oy+1)*g.KH], l.ColOffs, l.W, l.Bias, l.Mult,
			out.W, in.C, g.KH, g.KW, l.Zero, l.Lo, l.Hi)
	}
}
