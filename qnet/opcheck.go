package qnet

import (
	"fmt"
	"math"

	"neonet.dev/neonet/nn"
	"neonet.dev/neonet/quant"
	"neonet.dev/neonet/tensor"
)

// Limits that keep every computation on a valid model inside int32, so
// that a model file is read the same way by 32-bit and 64-bit builds.
const (
	maxElems  = 1 << 28 // values in one tensor
	maxWindow = 1 << 12 // kernel size, stride, dilation, padding
	maxOffset = 1 << 20 // shift offset
	// maxActivations bounds the bytes of all tensors together, which the
	// activation arena sums.
	maxActivations = 1 << 30
)

// shapesOf returns the shapes of n's inputs and output after checking
// that n has count inputs.
func shapesOf(m *Model, n *Node, count int) ([]tensor.Shape, tensor.Shape, error) {
	if len(n.Inputs) != count {
		return nil, tensor.Shape{}, fmt.Errorf("%s takes %d inputs, has %d", n.Op.Kind(), count, len(n.Inputs))
	}
	ins := make([]tensor.Shape, count)
	for i, t := range n.Inputs {
		ins[i] = m.Tensors[t].Shape
	}
	return ins, m.Tensors[n.Output].Shape, nil
}

// checkMap checks an op that maps each value of its one input to a value
// of its output.
func checkMap(m *Model, n *Node) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	if ins[0] != out {
		return fmt.Errorf("maps %v to %v", ins[0], out)
	}
	return nil
}

// keepsParams checks that n's input k and its output share parameters,
// as ops that only move values require.
func keepsParams(m *Model, n *Node, k int) bool {
	return m.Tensors[n.Inputs[k]].Params == m.Tensors[n.Output].Params
}

// clampAct reports whether a is an activation that requantization can
// fuse as a clamp; the kernels apply no other fused activation.
func clampAct(a nn.Activation) bool {
	return a == nn.ActNone || a == nn.ActReLU || a == nn.ActReLU6
}

// checkChannels checks a conv or linear layer's per output channel
// arrays and its fused activation.
func checkChannels(out int, scales []float32, bias []int32, act nn.Activation) error {
	if len(scales) != out {
		return fmt.Errorf("weight_scales: %d values, want %d", len(scales), out)
	}
	for c, s := range scales {
		if !finitePositive(s) {
			return fmt.Errorf("weight_scales: channel %d is %v, want a finite positive number", c, s)
		}
	}
	if len(bias) != out {
		return fmt.Errorf("bias: %d values, want %d", len(bias), out)
	}
	if !clampAct(act) {
		return fmt.Errorf("act %v: only none, relu or relu6 can be fused", act)
	}
	return nil
}

// checkPool checks a max or average pooling of the node's one input.
func checkPool(m *Model, n *Node, g nn.PoolGeometry) error {
	ins, out, err := shapesOf(m, n, 1)
	if err != nil {
		return err
	}
	for _, v := range []int{g.KH, g.KW, g.StrideH, g.StrideW} {
		if !inRange(v, 1, maxWindow) {
			return fmt.Errorf("pool geometry %+v: kernel and stride must be 1..%d", g, maxWindow)
		}
	}
	if !inRange(g.PadH, 0, maxWindow) || !inRange(g.PadW, 0, maxWindow) {
		return fmt.Errorf("pool geometry %+v: padding must be 0..%d", g, maxWindow)
	}
	if 2*g.PadH > g.KH || 2*g.PadW > g.KW {
		return fmt.Errorf("invalid pooling %+v: padding must be at most half the kernel", g)
	}
	in := ins[0]
	oh, ow := g.OutSize(in.H, in.W)
	if oh != out.H || ow != out.W || in.C != out.C || in.N != out.N {
		return fmt.Errorf("pooling of %v gives %dx%d, output is %v", in, oh, ow, out)
	}
	return nil
}

// checkTensor checks one tensor's shape and parameters.
func checkTensor(t Tensor) error {
	s := t.Shape
	if _, ok := product(maxElems, s.N, s.H, s.W, s.C); !ok || !s.Valid() {
		return fmt.Errorf("shape %v: want positive sizes and at most %d values", s, maxElems)
	}
	if !finitePositive(t.Params.Scale) {
		return fmt.Errorf("scale %v: want a finite positive number", t.Params.Scale)
	}
	if t.Params.Zero < quant.QMin || t.Params.Zero > quant.QMax {
		return fmt.Errorf("zero point %d: want %d..%d", t.Params.Zero, quant.QMin, quant.QMax)
	}
	return nil
}

// product multiplies non-negative factors, reporting false if the result
// exceeds limit (or any factor is negative) instead of overflowing.
func product(limit int, factors ...int) (int, bool) {
	p := 1
	for _, f := range factors {
		if f < 0 {
			return 0, false
		}
		if f != 0 && p > limit/f {
			return 0, false
		}
		p *= f
	}
	return p, true
}

func inRange(v, lo, hi int) bool { return v >= lo && v <= hi }

func finitePositive(x float32) bool {
	return x > 0 && !math.IsInf(float64(x), 0) // NaN fails x > 0
}
