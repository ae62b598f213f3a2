package qnet

import (
	"neonet.dev/neonet/kernels/q8ref"
	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// nodeEnv is what an op sees while it prepares its node's step: the
// program, the node, its tensors and the values they live in.
type nodeEnv struct {
	p         *Program
	i         int // the node's index
	n         *Node
	in, out   *tensor.Int8 // the first input's and the output's values
	inT, outT Tensor       // and their tensors
}

func (p *Program) nodeEnv(i int) *nodeEnv {
	n := &p.model.Nodes[i]
	return &nodeEnv{p: p, i: i, n: n, in: p.values[n.Inputs[0]], out: p.values[n.Output],
		inT: p.model.Tensors[n.Inputs[0]], outT: p.model.Tensors[n.Output]}
}

// input is the node's input k: its value and its tensor.
func (e *nodeEnv) input(k int) (*tensor.Int8, Tensor) {
	t := e.n.Inputs[k]
	return e.p.values[t], e.p.model.Tensors[t]
}

// inputs is the values of all the node's inputs.
func (e *nodeEnv) inputs() []*tensor.Int8 {
	ins := make([]*tensor.Int8, len(e.n.Inputs))
	for k, t := range e.n.Inputs {
		ins[k] = e.p.values[t]
	}
	return ins
}

// rescale is the multiplier from accumulators in scale num to the output
// scale.
func (e *nodeEnv) rescale(num float64) float32 {
	return Multiplier(num, float64(e.outT.Params.Scale))
}

// requant is the multiplier from the first input's scale to the output's.
func (e *nodeEnv) requant() float32 { return e.rescale(float64(e.inT.Params.Scale)) }

// perChannel is a convolution's or linear layer's requantization
// multipliers, sIn*sW[o]/sOut per output channel.
func (e *nodeEnv) perChannel(weightScales []float32) []float32 {
	sIn := float64(e.inT.Params.Scale)
	mult := make([]float32, len(weightScales))
	for o, w := range weightScales {
		mult[o] = e.rescale(sIn * float64(w))
	}
	return mult
}

// output makes the q8ref.Output for the node's output tensor with a fused
// activation.
func (e *nodeEnv) output(act nn.Activation, multipliers ...float32) q8ref.Output {
	params := e.outT.Params
	lo, hi := quant.Clamp(params, act == nn.ActReLU, act == nn.ActReLU6)
	return q8ref.Output{Multipliers: multipliers, Zero: params.Zero, Lo: lo, Hi: hi}
}

// kind names the node's step on the program's optimized kernels.
func (e *nodeEnv) kind() string { return e.n.Op.Kind() + " [" + e.p.path.String() + "]" }

// keepReference is the optimized step of an op left to the reference
// kernels.
func (e *nodeEnv) keepReference(ref func()) (func(), string, error) {
	return ref, e.n.Op.Kind() + " [ref]", nil
}

// elementGrain is the smallest share of an elementwise layer (lookup
// table, add, channel multiply) worth handing to another thread: fewer
// values take less time than the hand-over.
const elementGrain = 16 * 1024

// splits reports whether an elementwise layer of n values is split over
// the program's threads.
func (p *Program) splits(n int) bool { return p.pool.Threads() > 1 && n >= 2*elementGrain }

// elementwise is the step that runs kernel over the node's n values,
// split into ranges over the threads when it is worth it.
func (e *nodeEnv) elementwise(n int, kernel func(start, end int)) func() {
	if e.p.splits(n) {
		return func() { e.p.pool.Run(n, elementGrain, kernel) }
	}
	return func() { kernel(0, n) }
}

// poolRows is the step of a pooling layer: run on the whole tensors, or
// split over the threads by output rows when it can be: one image, no
// padding, and enough values to be worth it. Output rows [r0, r1) then
// are the same pooling of input rows [r0*stride, min(H, (r1-1)*stride+KH)):
// a window of an interior run never reaches past it, and only the last
// run has the bottom edge, where ceil mode clips a window as it does for
// the whole tensor. The views are kept per part, so running allocates
// nothing.
func (e *nodeEnv) poolRows(g nn.PoolGeometry, run func(dst, src *tensor.Int8)) func() {
	p, in, out := e.p, e.in, e.out
	if in.Shape.N != 1 || g.PadH != 0 || g.PadW != 0 || !p.splits(len(in.Data)) {
		return func() { run(out, in) }
	}
	views := make([][2]tensor.Int8, p.pool.Threads())
	rowIn, rowOut := in.Shape.W*in.Shape.C, out.Shape.W*out.Shape.C
	part := func(k, r0, r1 int) {
		i0, i1 := r0*g.StrideH, min(in.Shape.H, (r1-1)*g.StrideH+g.KH)
		v := &views[k]
		v[0] = tensor.Int8{Shape: tensor.Shape{N: 1, H: r1 - r0, W: out.Shape.W, C: out.Shape.C}, Data: out.Data[r0*rowOut : r1*rowOut]}
		v[1] = tensor.Int8{Shape: tensor.Shape{N: 1, H: i1 - i0, W: in.Shape.W, C: in.Shape.C}, Data: in.Data[i0*rowIn : i1*rowIn]}
		run(&v[0], &v[1])
	}
	return func() { p.pool.RunParts(out.Shape.H, 1, part) }
}
