package qnet

import (
	"fmt"
	"math"

	"neonet.dev/neonet/kernels/q8"
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
)

// Conv is a convolution (depthwise and 1x1 included). Weights are packed
// [KH][KW][Cin/groups][Out]; Bias has the input zero-point correction
// folded in (see kernels/q8ref). Act is ActNone, ActReLU or ActReLU6, applied
// as the output clamp.
type Conv struct {
	Geometry     nn.ConvGeometry
	Out          int
	Weights      []int8
	WeightScales []float32 // per output channel
	Bias         []int32
	Act          nn.Activation
}

func (*Conv) Kind() string { return "conv2d" }

func (op *Conv) Describe() string {
	g := op.Geometry
	s := fmt.Sprintf("conv2d %dx%d", g.KH, g.KW)
	if g.StrideH != 1 || g.StrideW != 1 {
		s += fmt.Sprintf(" s%dx%d", g.StrideH, g.StrideW)
	}
	if g.PadH != 0 || g.PadW != 0 {
		s += fmt.Sprintf(" p%dx%d", g.PadH, g.PadW)
	}
	if g.DilH != 1 || g.DilW != 1 {
		s += fmt.Sprintf(" d%dx%d", g.DilH, g.DilW)
	}
	if g.Groups != 1 {
		s += fmt.Sprintf(" g%d", g.Groups)
	}
	return s + actSuffix(op.Act)
}

func (op *Conv) Fields(f Fields) {
	f.Int("out", &op.Out)
	f.Act("act", &op.Act)
	f.ConvGeometry("conv", &op.Geometry)
	f.Int8s("weights", &op.Weights)
	f.Float32s("weight_scales", &op.WeightScales)
	f.Int32s("bias", &op.Bias)
}

func (op *Conv) check(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	g, in := op.Geometry, ins[0]
	for _, v := range []int{g.KH, g.KW, g.StrideH, g.StrideW, g.DilH, g.DilW} {
		if !inRange(v, 1, maxWindow) {
			return fmt.Errorf("conv geometry %+v: kernel, stride and dilation must be 1..%d", g, maxWindow)
		}
	}
	if !inRange(g.PadH, 0, maxWindow) || !inRange(g.PadW, 0, maxWindow) || !inRange(g.Groups, 1, in.C) || in.C%g.Groups != 0 {
		return fmt.Errorf("conv geometry %+v: padding must be 0..%d and groups divide the %d input channels", g, maxWindow, in.C)
	}
	// The kernels' indirection buffer has an int32 per tap and output position.
	if _, ok := product(maxElems, out.N, out.H, out.W, g.KH, g.KW); !ok {
		return fmt.Errorf("conv geometry %+v: %dx%d taps at %dx%dx%d output positions, more than %d", g, g.KH, g.KW, out.N, out.H, out.W, maxElems)
	}
	if op.Out != out.C {
		return fmt.Errorf("out %d: output tensor has %d channels", op.Out, out.C)
	}
	if op.Out%g.Groups != 0 {
		return fmt.Errorf("invalid convolution %+v from %v to %v: groups must divide the %d outputs", g, in, out, op.Out)
	}
	oh, ow := g.OutSize(in.H, in.W)
	if oh != out.H || ow != out.W || in.N != out.N {
		return fmt.Errorf("convolution of %v gives %dx%d, output is %v", in, oh, ow, out)
	}
	want, ok := product(math.MaxInt32, g.KH, g.KW, in.C/g.Groups, op.Out)
	if !ok || len(op.Weights) != want {
		return fmt.Errorf("weights: %d values, want %dx%dx%dx%d", len(op.Weights), g.KH, g.KW, in.C/g.Groups, op.Out)
	}
	return checkChannels(op.Out, op.WeightScales, op.Bias, op.Act)
}

// macs counts each weight once per output pixel.
func (op *Conv) macs(m *Model, n *Node) int64 {
	s := m.Tensors[n.Output].Shape
	return int64(s.N) * int64(s.H) * int64(s.W) * int64(len(op.Weights))
}

func (op *Conv) reference(e *nodeEnv) (func(), error) {
	in, out := e.in, e.out
	o := e.output(op.Act, e.perChannel(op.WeightScales)...)
	acc := make([]int32, op.Out)
	zIn := e.inT.Params.Zero
	return func() { q8ref.Conv2D(out, in, op.Weights, op.Bias, op.Geometry, zIn, o, acc) }, nil
}

// optimized packs the convolution for the path's kernels: a shift fused
// in front (fusableShift), a dense convolution (into a concatenation or
// split by output pixels), or a depthwise one (split by output rows).
// Grouped convolutions that are not depthwise stay on the reference.
func (op *Conv) optimized(e *nodeEnv, ref func()) (func(), string, error) {
	w, bias, mult := op.Weights, op.Bias, e.perChannel(op.WeightScales)
	if perm := e.p.permOut[e.i]; perm != nil {
		w, bias, mult = permuteOutputs(w, bias, mult, perm)
	}
	o := e.output(op.Act, mult...)
	switch g, in := op.Geometry, e.in.Shape; {
	case g.Groups == 1:
		if shift := e.p.fusableShift(e.n); shift >= 0 {
			return op.shiftConv(e, shift, w, bias, o)
		}
		return op.dense(e, w, bias, o)
	case g.Groups == in.C && op.Out == in.C:
		return op.depthwise(e, w, bias, o)
	}
	return e.keepReference(ref)
}

// shiftConv is the convolution with the shift node before it folded in:
// it reads the shift's input.
func (op *Conv) shiftConv(e *nodeEnv, shift int, w []int8, bias []int32, o q8ref.Output) (func(), string, error) {
	ks, out := e.p.ks, e.out
	sn := &e.p.model.Nodes[shift]
	src := e.p.values[sn.Inputs[0]]
	offsets := sn.Op.(*Shift).Offsets
	if perm := e.p.permIn[e.i]; perm != nil {
		offsets, w = permuteInputs(offsets, w, perm, op.Out)
	}
	sc, err := q8.NewShiftConv(ks, offsets, w, bias, op.Geometry, src.Shape, out.Shape, e.inT.Params.Zero, o)
	if err != nil {
		return nil, "", err
	}
	e.p.fused[shift] = true
	return func() { sc.Run(out, src) }, "shift+" + e.kind(), nil
}

// dense is a convolution without groups, writing its own output or its
// channels of a concatenation (concatsInPlace), split by output pixels.
func (op *Conv) dense(e *nodeEnv, w []int8, bias []int32, o q8ref.Output) (func(), string, error) {
	p, in, out := e.p, e.in, e.out
	c, err := q8.NewConv(p.ks, w, bias, op.Geometry, in.Shape, out.Shape, e.inT.Params.Zero, o)
	if err != nil {
		return nil, "", err
	}
	if slot, ok := p.into[e.i]; ok {
		catNode := &p.model.Nodes[slot.node]
		cat := p.values[catNode.Output]
		stride, offset := cat.Shape.C, slot.offset
		part := func(start, end int) { c.RunRangeInto(cat.Data, stride, offset, in, start, end) }
		p.fused[slot.node] = true
		return func() { p.pool.Run(c.Pixels(), 4, part) }, e.kind() + " into " + catNode.Name, nil
	}
	if p.pool.Threads() > 1 {
		part := func(start, end int) { c.RunRange(out, in, start, end) }
		return func() { p.pool.Run(c.Pixels(), 4, part) }, e.kind(), nil
	}
	return func() { c.Run(out, in) }, e.kind(), nil
}

// depthwise is a depthwise convolution, split by output rows.
func (op *Conv) depthwise(e *nodeEnv, w []int8, bias []int32, o q8ref.Output) (func(), string, error) {
	p, in, out := e.p, e.in, e.out
	d, err := q8.NewDepthwise(p.ks, w, bias, op.Geometry, in.Shape, out.Shape, e.inT.Params.Zero, o)
	if err != nil {
		return nil, "", err
	}
	kind := "depthwise " + e.kind()
	if p.pool.Threads() > 1 {
		part := func(start, end int) { d.RunRows(out, in, start, end) }
		return func() { p.pool.Run(d.Rows(), 1, part) }, kind, nil
	}
	return func() { d.Run(out, in) }, kind, nil
}
